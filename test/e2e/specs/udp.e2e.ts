// UDP from the UI (issue 13 item 1): a student's Python UDP echo server gets a datagram from the palette and from
// the session panel, and its answer shows; a socket opened without a destination asks for one when sending.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Page } from 'playwright-core';
import { answerInputBox, openFromTree, openSocketLabView, pickQuickItem, runCommand, screenshot, treeRow, useVsCode } from '../harness';

/** python3 UDP server on 127.0.0.1 that answers each datagram upper-cased and prints what it got. */
function pythonUdpUpper(): Promise<{ port: number; lines: string[]; proc: ChildProcess }> {
  const code = [
    'import socket, sys',
    's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    's.bind(("127.0.0.1", 0))',
    'print(s.getsockname()[1], flush=True)',
    'while True:',
    '    data, addr = s.recvfrom(2048)',
    '    print("got", data.decode(), flush=True)',
    '    s.sendto(data.upper(), addr)',
  ].join('\n');
  const proc = spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  return new Promise((resolve) => {
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => {
      for (const l of d.split('\n').filter(Boolean)) {
        lines.push(l);
        if (lines.length === 1) resolve({ port: Number(l), lines, proc });
      }
    });
  });
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('UDP from the UI (issue 13 item 1)', function () {
  const vsc = useVsCode({ trusted: true });
  let server: Awaited<ReturnType<typeof pythonUdpUpper>>;
  before(async () => {
    server = await pythonUdpUpper();
  });
  after(() => server?.proc.kill('SIGKILL'));

  async function openUnbound(page: Page, destination: string): Promise<void> {
    await runCommand(page, 'Socket Lab: Open UDP Socket');
    await pickQuickItem(page, 'Unbound');
    await answerInputBox(page, destination, /default destination/);
  }

  it('opens with a default destination; Send Text from the palette reaches Python, and the answer shows', async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    await openUnbound(page, `127.0.0.1:${server.port}`);
    const row = treeRow(page, new RegExp(`→ 127\\.0\\.0\\.1:${server.port}`));
    await row.waitFor({ timeout: 20_000 });
    await runCommand(page, 'Socket Lab: Send Text');
    await answerInputBox(page, 'hello', /Send text to/);
    await until('the Python server to get "hello"', () => server.lines.includes('got hello'));
    await treeRow(page, /↑5 B ↓5 B/).waitFor({ timeout: 20_000 });

    // the panel: its destination box says where an empty box sends; a typed one is used
    const frame = await openFromTree(page, treeRow(page, /↑5 B ↓5 B/), 'body[data-view="session"][data-ready="true"] .send-dest');
    const dest = frame.locator('.send-dest');
    await until('the destination box to be shown', () => dest.isVisible());
    assert.equal(await dest.getAttribute('placeholder'), `to 127.0.0.1:${server.port}`);
    await dest.locator('input').fill(`127.0.0.1:${server.port}`);
    const input = frame.locator('.send-input input');
    await input.fill('from panel');
    await input.press('Enter');
    await until('the Python server to get "from panel"', () => server.lines.includes('got from panel'));
    await until('the answer in the conversation', async () => (await frame.locator('.chunk.in .chunk-body').allInnerTexts()).some((t) => t.includes('FROM PANEL')));
    await screenshot(page, 'udp-panel');
  });

  it('opened without a destination, Send Text asks where to send', async () => {
    const page = vsc.page;
    await runCommand(page, 'Socket Lab: Close All Connections'); // so Send has one socket to send from
    await openUnbound(page, '');
    await treeRow(page, /udp \(unbound\)/).waitFor({ timeout: 20_000 });
    await runCommand(page, 'Socket Lab: Send Text');
    await answerInputBox(page, `127.0.0.1:${server.port}`, /Send from/);
    await answerInputBox(page, 'second', /Send text to/);
    await until('the Python server to get "second"', () => server.lines.includes('got second'));
  });
});
