// Session logs in a real VS Code: Start Log on a server from the Connections tree, a client's bytes land in the
// workspace's log folder as JSON Lines, the row says "logging", Stop Log ends it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { answerInputBox, contextMenu, openSocketLabView, pickQuickItem, runCommand, screenshot, treeRow, useVsCode, waitFor, waitForNotification } from '../harness';

describe('session logs', function () {
  const vsc = useVsCode({ trusted: true, settings: { 'socketLab.logs.folder': 'logs' } });

  it('Start Log on a server writes every accepted connection to the log folder; Stop Log ends it', async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    await runCommand(page, 'Socket Lab: Start TCP Server');
    await answerInputBox(page, '0');
    await pickQuickItem(page, 'echo');
    const serverRow = treeRow(page, /127\.0\.0\.1:\d+\s*listening/);
    await serverRow.waitFor({ timeout: 15_000 });
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(await serverRow.innerText())![1]);

    await contextMenu(page, /127\.0\.0\.1:\d+\s*listening/, 'Start Log…');
    await pickQuickItem(page, 'JSON Lines');
    await waitForNotification(page, /Logging 127\.0\.0\.1:\d+ to .*logs.*\.jsonl/);
    await treeRow(page, /listening · logging · /).waitFor({ timeout: 15_000 });

    const echoed = await new Promise<string>((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1', () => c.end('hello log'));
      let got = '';
      c.on('data', (d) => (got += d.toString())).on('close', () => resolve(got)).on('error', reject);
    });
    assert.equal(echoed, 'hello log');
    await treeRow(page, /closed · logging · /).waitFor({ timeout: 15_000 }); // the accepted connection is in the server's log
    await screenshot(page, 'session-log-tree');

    await contextMenu(page, /127\.0\.0\.1:\d+\s*listening/, 'Stop Log');
    await waitFor('the row without "logging"', async () => (await treeRow(page, /127\.0\.0\.1:\d+\s*listening/).innerText()).replace(/\s+/g, ' '), (t) => !t.includes('logging'));
    const dir = path.join(vsc.vscode.workspace, 'logs');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
    assert.equal(files.length, 1, files.join(', '));
    const records = fs.readFileSync(path.join(dir, files[0]), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { dir?: string; base64?: string; event?: string });
    assert.deepEqual(records.filter((r) => r.dir).map((r) => `${r.dir} ${Buffer.from(r.base64!, 'base64')}`), ['in hello log', 'out hello log']);
    assert.ok(records.some((r) => r.event === 'half-closed-by-peer' || r.event === 'closed'), JSON.stringify(records));
  });
});
