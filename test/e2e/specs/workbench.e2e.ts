// Where VS Code users expect things: a .pcapng opens by double-click in the Explorer, `socket-lab` works in an
// integrated terminal, and a `socketLab` task in tasks.json starts an echo server a Python client reaches.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { editorTab, findFrame, openSocketLabView, pickQuickItem, repoRoot, runCommand, terminalText, treeRow, useVsCode } from '../harness';
import { until } from '../../support';

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'packetPanel', 'loopbackTcp.pcapng');
const { version } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };

/** A port nobody listens on right now, known before the window starts (tasks.json is written with it). */
const taskPort = Number(execFileSync('python3', ['-c', 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'], { encoding: 'utf8' }).trim());
const taskLabel = 'Socket Lab echo server';

/** This spec's bounded wait (its default: 30000 ms). */
const wait = (check: () => boolean | Promise<boolean>, what: string, ms = 30_000) => until(check, what, ms, 250);

describe('where VS Code users expect things', function () {
  const vsc = useVsCode({
    trusted: true,
    viewport: { width: 1500, height: 950 },
    settings: { 'terminal.integrated.gpuAcceleration': 'off' },
    // written before the window opens: a tasks.json created later is seen only once the file watcher reports it
    files: {
      '.vscode/tasks.json': JSON.stringify({ version: '2.0.0', tasks: [{ label: taskLabel, type: 'socketLab', server: 'tcp', host: '127.0.0.1', port: taskPort, mode: 'echo' }] }, null, 2),
    },
  });

  it('double-clicking a .pcapng in the Explorer opens its packets in the packet panel', async () => {
    const { page } = vsc;
    fs.copyFileSync(FIXTURE, path.join(vsc.vscode.workspace, 'loopback.pcapng'));
    // Socket Lab's contributions (its editor among them) are known once its activity bar entry shows
    await page.locator('.activitybar [aria-label^="Socket Lab"]').first().waitFor({ timeout: 30_000 });
    await runCommand(page, 'View: Show Explorer');
    const row = page.locator('.explorer-folders-view .monaco-list-row').filter({ hasText: 'loopback.pcapng' }).first();
    await row.waitFor({ timeout: 10_000 }).catch(async () => {
      // the file watcher may not have reported the copy yet: the Explorer's own Refresh button
      await page.locator('[id="workbench.view.explorer"] .action-label[aria-label="Refresh Explorer"]').first().click();
      await row.waitFor({ timeout: 20_000 });
    });
    await row.dblclick();
    const frame = await findFrame(page, '.pk-app[data-ready="true"]');
    await frame.locator('.pk-row[data-index="9"]').waitFor({ timeout: 15_000 });
    const info = (await frame.locator('.pk-row[data-index] .pk-c-info').allInnerTexts()).map((t) => t.trim());
    assert.equal(info.length, 10);
    assert.match(info[0], /\[SYN\] Seq=0 /);
    await editorTab(page, 'loopback.pcapng').waitFor({ timeout: 10_000 });
    // "Open in Wireshark" is offered only when a wireshark executable is on PATH
    const hasWireshark = (process.env.PATH ?? '').split(':').some((d) => d && fs.existsSync(path.join(d, 'wireshark')));
    const action = page.locator('.editor-actions [aria-label="Open in Wireshark"]');
    if (!hasWireshark) assert.equal(await action.count(), 0, 'no Wireshark action without wireshark on PATH');
    else await action.first().waitFor({ timeout: 10_000 });
  });

  it('`socket-lab --version` in an integrated terminal prints the extension version', async () => {
    const { page } = vsc;
    // the launcher is written into the extension's global storage on activation; the PATH entry comes first
    const launcher = path.join(vsc.vscode.userDataDir, 'User', 'globalStorage', 'socket-lab.socket-lab', 'bin', 'socket-lab');
    await wait(() => fs.existsSync(launcher), `the launcher at ${launcher}`);
    await runCommand(page, 'Terminal: Create New Terminal');
    const term = page.locator('.terminal-wrapper.active .xterm');
    await term.waitFor({ timeout: 20_000 });
    await term.click();
    await page.keyboard.type('socket-lab --version | tee socket-lab-version.txt\n');
    const out = path.join(vsc.vscode.workspace, 'socket-lab-version.txt');
    await wait(() => fs.existsSync(out) && fs.readFileSync(out, 'utf8') !== '', 'socket-lab --version to write its output');
    assert.equal(fs.readFileSync(out, 'utf8'), `${version}\n`);
    await wait(async () => (await terminalText(page)).split('\n').some((l) => l.trim() === version), 'the version in the terminal');
  });

  it('a socketLab task from tasks.json runs a TCP echo server a Python client reaches; it shows in Connections and ends with the task', async () => {
    const { page } = vsc;
    const [port, label] = [taskPort, taskLabel];
    await runCommand(page, 'Tasks: Run Task');
    await pickQuickItem(page, label);
    await wait(async () => (await terminalText(page)).includes(`Listening on 127.0.0.1:${port}`), 'the task to say it listens');

    const client = [
      'import socket',
      `s = socket.create_connection(("127.0.0.1", ${port}), timeout=10)`,
      's.sendall(b"hello from python")',
      's.shutdown(socket.SHUT_WR)',
      'data = b""',
      'while True:',
      '    chunk = s.recv(1024)',
      '    if not chunk: break',
      '    data += chunk',
      'print(data.decode())',
    ].join('\n');
    assert.equal(execFileSync('python3', ['-c', client], { encoding: 'utf8', timeout: 20_000 }), 'hello from python\n');
    await wait(async () => /connection from 127\.0\.0\.1:\d+/.test(await terminalText(page)), 'the connection in the task terminal');

    await openSocketLabView(page);
    await treeRow(page, new RegExp(`127\\.0\\.0\\.1:${port}.*listening`)).waitFor({ timeout: 20_000 });

    // stopping the task closes the server
    await runCommand(page, 'Tasks: Terminate Task');
    await pickQuickItem(page, label);
    await treeRow(page, new RegExp(`127\\.0\\.0\\.1:${port}.*closed`)).waitFor({ timeout: 20_000 });
    await assert.rejects(
      new Promise((resolve, reject) => net.connect(port, '127.0.0.1').on('connect', resolve).on('error', reject)),
      /ECONNREFUSED/,
    );

    // and closing the session ends the task
    await runCommand(page, 'Tasks: Run Task');
    await pickQuickItem(page, label);
    await treeRow(page, new RegExp(`127\\.0\\.0\\.1:${port}.*listening`)).waitFor({ timeout: 20_000 });
    await runCommand(page, 'Socket Lab: Close All Connections');
    await wait(async () => /Ended: the session was closed/.test(await terminalText(page)), 'the task to end with its session');
  });
});
