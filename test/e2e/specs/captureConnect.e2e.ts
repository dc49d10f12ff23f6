// Capture then Connect (issue 13 item 5): the capture starts before the client connects, so the packet panel's
// first rows are the handshake; Start Capture suggests a filter from the sessions' ports.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import type { Page } from 'playwright-core';
import { answerInputBox, editorTab, openSocketLabView, runCommand, useVsCode, waitForQuickInput } from '../harness';

async function infoRows(page: Page, port: number): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    // the client's session panel opens over the packet panel when the server's greeting arrives: bring the packets back
    await editorTab(page, `Packets: 127.0.0.1:${port}`).click({ timeout: 5_000 }).catch(() => undefined);
    for (const f of page.frames()) {
      const rows = await f.locator('.pk-row[data-index] .pk-c-info').allInnerTexts().catch(() => [] as string[]);
      if (rows.some((r) => r.includes(`→ ${port} [SYN]`))) return rows.map((r) => r.trim());
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no packet panel shows the SYN to ${port}`);
}

describe('Capture then Connect (issue 13 item 5)', function () {
  const vsc = useVsCode({ trusted: true });
  let server: net.Server;
  let port = 0;
  before(async () => {
    server = net.createServer((c) => c.on('error', () => undefined).end('hi\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server?.close());

  it('the packet panel starts with the SYN / SYN-ACK / ACK of the connection it opened', async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    await runCommand(page, 'Socket Lab: Connect TCP Client with Capture');
    await answerInputBox(page, `127.0.0.1:${port}`);
    const rows = await infoRows(page, port);
    assert.match(rows[0], new RegExp(`→ ${port} \\[SYN\\] Seq=0 `), rows.join('\n'));
    assert.match(rows[1], new RegExp(`^${port} → \\d+ \\[SYN, ACK\\]`), rows.join('\n'));
  });

  it("Start Capture suggests a filter naming the session's port", async () => {
    const page = vsc.page;
    await runCommand(page, 'Socket Lab: Start Capture');
    const iface = page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ hasText: /^lo/ }).first();
    await iface.waitFor({ timeout: 30_000 });
    await iface.click();
    const input = await waitForQuickInput(page, /Capture filter/);
    await page.waitForFunction((want) => (document.querySelector('.quick-input-widget .quick-input-box input') as HTMLInputElement | null)?.value === want, `tcp port ${port}`, { timeout: 10_000 });
    assert.equal(await input.inputValue(), `tcp port ${port}`);
    await page.keyboard.press('Escape');
  });
});
