// UDP from the UI (issue 13 item 1): a student's Python UDP echo server gets a datagram from the palette and from
// the session panel, and its answer shows; a socket opened without a destination asks for one when sending.
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { until } from '../../support';
import { pythonEcho } from '../peers';
import { answerInputBox, panelOpened, openFromTree, openSocketLabView, pickQuickItem, runCommand, screenshot, treeRow, useVsCode } from '../harness';

/** This spec's bounded wait. */
const wait = (what: string, ok: () => boolean | Promise<boolean>) => until(ok, what, 20_000, 200);

describe('UDP from the UI (issue 13 item 1)', function () {
  const vsc = useVsCode({ trusted: true });
  let server: Awaited<ReturnType<typeof pythonEcho>>;
  before(async () => {
    server = await pythonEcho('udp');
  });
  after(() => server?.proc.kill('SIGKILL'));

  async function openUnbound(page: Page, destination: string): Promise<void> {
    await runCommand(page, 'Socket Lab: Open UDP Socket');
    await pickQuickItem(page, 'Unbound');
    await answerInputBox(page, destination, /default destination/);
    await panelOpened(page, destination ? `→ ${destination}` : 'udp (unbound)');
  }

  it('opens with a default destination; Send Text from the palette reaches Python, and the answer shows', async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    await openUnbound(page, `127.0.0.1:${server.port}`);
    const row = treeRow(page, new RegExp(`→ 127\\.0\\.0\\.1:${server.port}`));
    await row.waitFor({ timeout: 20_000 });
    await runCommand(page, 'Socket Lab: Send Text');
    await answerInputBox(page, 'hello', /Send text to/);
    await wait('the Python server to get "hello"', () => server.lines.includes('got hello'));
    await treeRow(page, /↑5 B ↓5 B/).waitFor({ timeout: 20_000 });

    // the panel: its destination box says where an empty box sends; a typed one is used
    const frame = await openFromTree(page, treeRow(page, /↑5 B ↓5 B/), 'body[data-view="session"][data-ready="true"] .send-dest');
    const dest = frame.locator('.send-dest');
    await wait('the destination box to be shown', () => dest.isVisible());
    assert.equal(await dest.getAttribute('placeholder'), `to 127.0.0.1:${server.port}`);
    await dest.locator('input').fill(`127.0.0.1:${server.port}`);
    const input = frame.locator('.send-input input');
    await input.fill('from panel');
    await input.press('Enter');
    await wait('the Python server to get "from panel"', () => server.lines.includes('got from panel'));
    await wait('the answer in the conversation', async () => (await frame.locator('.chunk.in .chunk-body').allInnerTexts()).some((t) => t.includes('FROM PANEL')));
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
    await wait('the Python server to get "second"', () => server.lines.includes('got second'));
  });
});
