// WebSocket sessions in a real VS Code: a WebSocket server started from the palette (upper mode), a client connected
// to it from the palette, a text message sent from the panel and answered upper-cased, and each message's frame facts
// (opcode, FIN, mask, payload length) beside the data inspector.
import * as assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { answerInputBox, contextMenu, openFromTree, openSocketLabView, panelOpened, pickQuickItem, runCommand, screenshot, treeRow, useVsCode, waitFor } from '../harness';

describe('WebSocket sessions', function () {
  const vsc = useVsCode({ trusted: true, viewport: { width: 1400, height: 900 } });

  it('a WebSocket server and client from the palette: a message answered upper-cased, with its frames in the inspector', async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    await runCommand(page, 'Socket Lab: Start WebSocket Server');
    await answerInputBox(page, '0');
    await pickQuickItem(page, 'upper');
    const serverRow = treeRow(page, /ws:\/\/127\.0\.0\.1:\d+\s*listening/);
    await serverRow.waitFor({ timeout: 20_000 });
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(await serverRow.innerText())![1]);

    await runCommand(page, 'Socket Lab: Connect WebSocket Client');
    const url = `ws://127.0.0.1:${port}/chat`;
    await answerInputBox(page, url);
    await panelOpened(page, url);
    const clientRow = treeRow(page, new RegExp(`${url.replace(/[/.]/g, '\\$&')}\\s*open`));
    const frame: Frame = await openFromTree(page, clientRow, 'body[data-view="session"][data-ready="true"] .send-input');

    const input = frame.locator('.send-input input');
    await input.fill('hello ws');
    await input.press('Enter');
    const bodies = () => frame.locator('.conv-list .chunk .chunk-body').allInnerTexts();
    await waitFor('the answer', bodies, (t) => t.map((x) => x.trim()).join('|') === 'hello ws|HELLO WS');
    const chunks = frame.locator('.conv-list .chunk');
    assert.deepEqual((await frame.locator('.conv-list .chunk .chunk-ws').allInnerTexts()).map((x) => x.trim()), ['text', 'text']);

    // the answer came from the server: not masked
    await chunks.nth(1).click();
    const rows = () => frame.locator('.ws-frames-table tr').allInnerTexts();
    const answer = await waitFor('the answer\'s frame', rows, (r) => r.length === 2);
    assert.deepEqual(answer[1].split(/\t|\s{2,}/).map((x) => x.trim()).filter(Boolean), ['1', '1 (text)', '1', '0', '8']);
    await screenshot(page, 'websocket-frames');
    // what the client sent: masked, as RFC 6455 requires of clients
    await chunks.nth(0).click();
    const sent = await waitFor('the sent frame', rows, (r) => r.length === 2 && r[1].includes('masked'));
    assert.deepEqual(sent[1].split(/\t|\s{2,}/).map((x) => x.trim()).filter(Boolean), ['1', '1 (text)', '1', '1 (masked)', '8']);

    // Close from the tree: the closing handshake shows in the conversation, with its code
    await contextMenu(page, new RegExp(`${url.replace(/[/.]/g, '\\$&')}\\s*open`), 'Close');
    const events = () => frame.locator('.conv-list .conv-event').allInnerTexts();
    const seen = await waitFor('the close events', events, (e) => e.some((x) => /Closed/.test(x)));
    assert.ok(seen.some((x) => /Close frame sent: 1000/.test(x)), seen.join(' | '));
    assert.ok(seen.some((x) => /Close frame received: 1000/.test(x)), seen.join(' | '));
    assert.ok(!seen.some((x) => /FIN/.test(x)), seen.join(' | ')); // no TCP half close in a WebSocket's closing
    await screenshot(page, 'websocket-closed');
    // Reconnect (the panel's banner, the tree): a WebSocket client again, to the same URL
    await contextMenu(page, new RegExp(`${url.replace(/[/.]/g, '\\$&')}\\s*closed`), 'Reconnect');
    await waitFor('the second connection', () => page.locator('.monaco-list-row').allInnerTexts(), (rows) => rows.filter((r) => r.startsWith(url) && /open · /.test(r)).length === 1);
  });
});
