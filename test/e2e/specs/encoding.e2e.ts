// One encoding per session (issue 13 item 10): gbk chosen in the send bar is the encoding the conversation shows
// the sent text in, and the palette's Send Text uses it too.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import type { Frame } from 'playwright-core';
import { answerInputBox, panelOpened, contextMenu, openFromTree, openSocketLabView, runCommand, treeRow, useVsCode, waitFor, waitForQuickInput } from '../harness';

describe('one encoding per session (issue 13 item 10)', function () {
  const vsc = useVsCode({ trusted: true });
  let server: net.Server;
  let port = 0;
  const received: Buffer[] = [];
  let accepted = 0;
  before(async () => {
    server = net.createServer((c) => {
      accepted++;
      c.on('data', (d) => received.push(d));
      c.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server?.close());

  const chunkTexts = (frame: Frame) => frame.locator('.conv-list .chunk .chunk-body').allInnerTexts();
  const valueOf = (frame: Frame, cls: string) => frame.locator(`.${cls}`).evaluate((e) => (e as HTMLElement & { value: string }).value);

  it('gbk chosen in the send bar: the peer gets gbk, the conversation shows 你好, and the palette sends in gbk', async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    await runCommand(page, 'Socket Lab: Connect TCP Client');
    await answerInputBox(page, `127.0.0.1:${port}`);
    await panelOpened(page, `127.0.0.1:${port}`);
    const row = treeRow(page, new RegExp(`127\\.0\\.0\\.1:${port}\\s*open`));
    const frame = await openFromTree(page, row, 'body[data-view="session"][data-ready="true"] .send-input');
    await frame.locator('.send-encoding').click();
    await frame.locator('.send-encoding [role="option"]').filter({ hasText: 'gbk' }).first().click();
    // the conversation's dropdown follows the send bar's: one encoding for the session
    await waitFor('the conversation encoding to follow', () => valueOf(frame, 'conv-encoding'), (v) => v === 'gbk');
    const input = frame.locator('.send-input input');
    await input.fill('你好');
    await input.press('Enter');
    await waitFor('the peer to get gbk bytes', async () => Buffer.concat(received).toString('hex'), (h) => h === 'c4e3bac3');
    await waitFor('the sent chunk shown in gbk', () => chunkTexts(frame), (t) => t.length === 1 && t[0].trim() === '你好');

    await runCommand(page, 'Socket Lab: Send Text');
    await waitForQuickInput(page, /\(gbk\)/);
    await answerInputBox(page, '再见');
    await waitFor('the palette send in gbk', async () => Buffer.concat(received).toString('hex'), (h) => h === 'c4e3bac3d4d9bcfb');
    assert.deepEqual((await waitFor('both chunks', () => chunkTexts(frame), (t) => t.length === 2)).map((t) => t.trim()), ['你好', '再见']);
  });

  it('a closed client has Reconnect in its context menu, and connects again to the same place', async () => {
    const page = vsc.page;
    await runCommand(page, 'Socket Lab: Close All Connections');
    const closed = treeRow(page, new RegExp(`127\\.0\\.0\\.1:${port}\\s*closed`));
    await closed.waitFor({ timeout: 20_000 });
    const before = accepted;
    await contextMenu(page, new RegExp(`127\\.0\\.0\\.1:${port}\\s*closed`), 'Reconnect');
    await treeRow(page, new RegExp(`127\\.0\\.0\\.1:${port}\\s*open`)).waitFor({ timeout: 20_000 });
    await waitFor('the server to accept a second connection', async () => accepted, (n) => n === before + 1);
  });
});
