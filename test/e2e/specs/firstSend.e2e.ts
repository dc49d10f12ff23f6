// The first send, counted (issue 13): from a fresh window a student reaches a Python server in as few actions as
// Packet Sender (about 4) — each action below is one click or one Enter, and nothing else is touched in between.
// TCP: Socket Lab icon, "Connect TCP Client", host:port + Enter, text + Enter (the panel opens with the keyboard in
// its send box). UDP: icon, "Open UDP Socket", "Unbound", destination + Enter, text + Enter.
import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { Frame, Page } from 'playwright-core';
import { pythonEcho } from '../peers';
import { findFrame, openSocketLabView, pickQuickItem, runCommand, screenshot, useVsCode, viewPane, waitFor, waitForQuickInput } from '../harness';

/** Types into whatever has the keyboard, then Enter: one action. */
async function typeEnter(page: Page, text: string): Promise<void> {
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

/** The welcome view's button: one click. */
async function welcomeButton(page: Page, label: string): Promise<void> {
  await viewPane(page, 'Connections').locator('.welcome-view-content .monaco-button', { hasText: label }).click();
}

/** The session panel of `label`, once it holds the keyboard in the element with class `cls`. */
async function panelWithKeyboardIn(page: Page, label: string, cls: string): Promise<Frame> {
  const frame = await findFrame(page, `body[data-view="session"][data-ready="true"]:has(.session-label:text-is("${label}"))`);
  await waitFor(`the keyboard in .${cls}`, () => frame.evaluate((c) => document.hasFocus() && !!document.activeElement?.classList.contains(c), cls), (ok) => ok);
  return frame;
}

const answers = (frame: Frame) => frame.locator('.chunk.in .chunk-body').allInnerTexts();

describe('the first send: actions counted from a fresh window (issue 13)', function () {
  const vsc = useVsCode({ trusted: true, viewport: { width: 1400, height: 900 } });
  const servers: ChildProcess[] = [];
  after(() => servers.forEach((p) => p.kill('SIGKILL')));

  it('UDP in five actions: icon, Open UDP Socket, Unbound, destination + Enter, text + Enter', async () => {
    const page = vsc.page;
    const server = await pythonEcho('udp');
    servers.push(server.proc);
    await openSocketLabView(page); // 1
    await welcomeButton(page, 'Open UDP Socket'); // 2
    await pickQuickItem(page, 'Unbound'); // 3
    await waitForQuickInput(page, /default destination/);
    await typeEnter(page, `127.0.0.1:${server.port}`); // 4
    const frame = await panelWithKeyboardIn(page, `→ 127.0.0.1:${server.port}`, 'send-input');
    await typeEnter(page, 'hello udp'); // 5
    await waitFor('Python to get the datagram', async () => server.lines, (l) => l.includes('got hello udp'));
    await waitFor('the answer in the panel', () => answers(frame), (t) => t.some((x) => x.includes('HELLO UDP')));
  });

  it('TCP in four actions: icon, Connect TCP Client, host:port + Enter, text + Enter', async () => {
    const page = vsc.page;
    // back to a fresh Connections view (not counted)
    await runCommand(page, 'Socket Lab: Close All Connections');
    await runCommand(page, 'Socket Lab: Clear Closed');
    await runCommand(page, 'View: Close All Editors');
    const server = await pythonEcho('tcp');
    servers.push(server.proc);
    await openSocketLabView(page); // 1 (already open here; from a fresh window it is the first click)
    await welcomeButton(page, 'Connect TCP Client'); // 2
    await waitForQuickInput(page, /Connect TCP Client/);
    await typeEnter(page, `127.0.0.1:${server.port}`); // 3
    const frame = await panelWithKeyboardIn(page, `127.0.0.1:${server.port}`, 'send-input');
    await typeEnter(page, 'hello tcp'); // 4
    await waitFor('Python to get the bytes', async () => server.lines, (l) => l.includes('got hello tcp'));
    await waitFor('the answer in the panel', () => answers(frame), (t) => t.some((x) => x.includes('HELLO TCP')));
    assert.equal(await frame.locator('.conv-event').first().locator('.conv-event-text').innerText(), `Connecting to 127.0.0.1:${server.port}…`);
    await screenshot(page, 'first-send-tcp');
  });
});
