// UDP multicast and broadcast from the UI (issue 18), on this machine only: a UDP socket opened from the palette on a
// group's address joins the group on lo from the Connections context menu; a Python sender on loopback
// (test/fixtures/multicast/loopSender.py: IP_MULTICAST_IF 127.0.0.1, loop on, TTL 0) reaches it, and after Leave
// does not. A socket sending to 127.255.255.255 is refused with the EACCES sentence until Turn Broadcast On/Off.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { pythonPeer, repoRoot, until } from '../../support';
import { answerInputBox, contextMenu, openSocketLabView, panelOpened, pickQuickItem, rowTooltip, runCommand, screenshot, treeRow, treeRows, useVsCode, waitFor, waitForNotification } from '../harness';

const wait = (what: string, ok: () => boolean | Promise<boolean>) => until(ok, what, 20_000, 200);
const group = `239.77.${(process.pid % 200) + 20}.1`;
const groupRe = group.replace(/\./g, '\\.');
const sender = path.join(repoRoot, 'test', 'fixtures', 'multicast', 'loopSender.py');

async function received(frame: Frame): Promise<string[]> {
  return frame.locator('.chunk.in .chunk-body').allInnerTexts();
}

describe('UDP multicast and broadcast from the UI (issue 18)', function () {
  const vsc = useVsCode({ trusted: true, viewport: { width: 1400, height: 900 } });
  let port = 0;
  const row = () => new RegExp(`${groupRe}:${port}(?!\\d)`);
  const send = (text: string) => execFileSync('python3', [sender, group, String(port), text], { encoding: 'utf8' });

  async function join(page: Page): Promise<void> {
    await contextMenu(page, row(), 'Join Multicast Group…');
    await answerInputBox(page, group, /Join Multicast Group/);
    // lo first: a group tried out stays on this computer
    await pickQuickItem(page, 'lo', /on which interface/);
  }

  it('joins a group on lo from the context menu: a Python sender\'s datagram shows; after Leave Group it does not', async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    await runCommand(page, 'Socket Lab: Open UDP Socket');
    await pickQuickItem(page, 'Bind to a port…');
    // bound to the group's address: it receives the group's datagrams and nothing sent to this machine's addresses
    await answerInputBox(page, `${group}:0`, /port or host:port to bind/);
    await answerInputBox(page, '', /default destination/);
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 20_000 });
    await dialog.locator('.monaco-button', { hasText: `Listen on ${group}` }).click();
    const rows = await treeRows(page);
    const m = new RegExp(`${groupRe}:(\\d+)`).exec(rows.join('\n'));
    assert.ok(m, rows.join('\n'));
    port = Number(m[1]);
    const frame = await panelOpened(page, `${group}:${port}`);

    await join(page);
    // the row says which group it is a member of, and so does its tooltip
    await treeRow(page, new RegExp(`${groupRe}:${port}\\s*open · .* · member of ${groupRe}`)).waitFor({ timeout: 20_000 });
    const tip = await rowTooltip(page, row(), 'UDP socket');
    assert.match(tip, new RegExp(`Multicast groups:\\s*${groupRe}`));
    send('to the group');
    await wait('the datagram in the panel', async () => (await received(frame)).some((t) => t.includes('to the group')));
    assert.match((await treeRows(page)).join('\n'), /↑0 B ↓12 B/);
    await screenshot(page, 'multicast-joined-dark');

    await contextMenu(page, row(), 'Leave Multicast Group…');
    await wait('the row without the group', async () => !(await treeRows(page)).join('\n').includes('member of'));
    assert.doesNotMatch(await rowTooltip(page, row(), 'UDP socket'), /Multicast groups/);
    send('after leaving');
    // joined again, a datagram sent after that one arrives: had the socket still been a member, the first would be
    // in its queue ahead of it
    await join(page);
    send('joined again');
    await wait('the datagram after joining again', async () => (await received(frame)).some((t) => t.includes('joined again')));
    const texts = await received(frame);
    assert.equal(texts.filter((t) => t.includes('after leaving')).length, 0, texts.join(' | '));
    assert.equal(texts.filter((t) => t.includes('to the group')).length, 1, texts.join(' | '));
  });

  it('a socket bound to 127.0.0.1 that joins a group is told the group\'s datagrams will never reach it, and where to bind', async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    await runCommand(page, 'Socket Lab: Close All Connections');
    await runCommand(page, 'Socket Lab: Open UDP Socket');
    await pickQuickItem(page, 'Bind to a port…');
    await answerInputBox(page, '0', /port or host:port to bind/); // the usual first answer: 127.0.0.1
    await answerInputBox(page, '', /default destination/);
    // the socket's row comes a moment after the answer
    const rows = await waitFor('the socket\'s row', async () => (await treeRows(page)).join('\n'), (t) => /127\.0\.0\.1:\d+/.test(t));
    const m = /127\.0\.0\.1:(\d+)/.exec(rows)!;
    await panelOpened(page, `127.0.0.1:${m[1]}`);
    await contextMenu(page, new RegExp(`127\\.0\\.0\\.1:${m[1]}(?!\\d)`), 'Join Multicast Group…');
    await answerInputBox(page, group, /Join Multicast Group/);
    await pickQuickItem(page, 'lo', /on which interface/);
    await waitForNotification(page, `127.0.0.1:${m[1]} joined ${group}, but it is bound to 127.0.0.1, so the kernel gives it only datagrams sent to 127.0.0.1: the group's never arrive. To receive them, open a UDP socket bound to ${group}:${m[1]} or 0.0.0.0:${m[1]} and join there.`);
    await screenshot(page, 'multicast-bound-loopback-dark');
  });

});

describe('UDP broadcast from the UI (issue 18), in the light theme', function () {
  const vsc = useVsCode({ trusted: true, viewport: { width: 1400, height: 900 }, settings: { 'workbench.colorTheme': 'Default Light Modern' } });

  it('sending to 127.255.255.255 is refused with the EACCES sentence until Turn Broadcast On/Off', async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    // a Python receiver bound to loopback's broadcast address (127.0.0.0/8's 127.255.255.255)
    const receiver = await pythonPeer([
      'import socket',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      's.bind(("127.255.255.255", 0))',
      'print(s.getsockname()[1], flush=True)',
      'while True:',
      '    d, addr = s.recvfrom(2048)',
      '    print("got", d.decode(), flush=True)',
    ]);
    try {
      const to = `127.255.255.255:${receiver.port}`;
      await runCommand(page, 'Socket Lab: Open UDP Socket');
      await pickQuickItem(page, 'Unbound');
      await answerInputBox(page, to, /default destination/);
      await panelOpened(page, `→ ${to}`);
      await runCommand(page, 'Socket Lab: Send Text');
      await answerInputBox(page, 'no broadcast', /Send text to/);
      const refused = await waitForNotification(page, new RegExp(`Sending to the broadcast address ${to.replace(/\./g, '\\.')} was refused: a socket must turn on SO_BROADCAST first`));
      const sentence = await refused.innerText();
      await screenshot(page, 'broadcast-refused-light');

      const socketRow = new RegExp(`→ ${to.replace(/\./g, '\\.')}`);
      await contextMenu(page, socketRow, 'Turn Broadcast On/Off');
      await runCommand(page, 'Socket Lab: Send Text');
      await answerInputBox(page, 'with broadcast', /Send text to/);
      await wait('the receiver to get the broadcast', () => receiver.lines.includes('got with broadcast'));
      await treeRow(page, new RegExp(`${socketRow.source}\\s*open · .* · broadcast on`)).waitFor({ timeout: 20_000 });
      await wait('the tooltip to say broadcast is on', async () => /Broadcast:\s*on \(SO_BROADCAST\)/.test(await rowTooltip(page, socketRow, 'UDP socket')));
      assert.ok(!receiver.lines.includes('got no broadcast'), receiver.lines.join(' | '));
      // the refusal says what to do here, in VS Code: the action this test just used
      assert.match(sentence, /Turn Broadcast On\/Off/);
      await treeRow(page, socketRow).hover();
      await page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'UDP socket' }).first().waitFor({ timeout: 10_000 });
      await screenshot(page, 'broadcast-on-light');
    } finally {
      receiver.proc.kill('SIGKILL');
    }
  });
});
