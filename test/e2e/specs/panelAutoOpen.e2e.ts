// Session panels that open by themselves on first data (issue 13 item 3): never for a busy sink server's
// connections, never for the other end of a conversation the user is typing in, never taking the focus.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import type { Frame, Page } from 'playwright-core';
import { answerInputBox, panelOpened, openSocketLabView, pickQuickItem, runCommand, treeRow, useVsCode } from '../harness';

async function typeAndSend(frame: Frame, text: string): Promise<void> {
  const input = frame.locator('.send-input input');
  await input.fill(text);
  await input.press('Enter');
}

describe('session panels that open by themselves (issue 13 item 3)', function () {
  const vsc = useVsCode({ trusted: true });
  const sessionTabs = (page: Page) => page.locator('.tabs-container .tab').filter({ hasText: /^Session / }).count();

  async function startServer(page: Page, mode: string): Promise<number> {
    await runCommand(page, 'Socket Lab: Start TCP Server');
    await answerInputBox(page, '0');
    await pickQuickItem(page, mode);
    const row = treeRow(page, new RegExp(`127\\.0\\.0\\.1:\\d+\\s*listening · ↑0 B ↓0 B · ${mode}`));
    await row.waitFor({ timeout: 20_000 });
    return Number(/127\.0\.0\.1:(\d+)/.exec(await row.innerText())![1]);
  }

  it('a sink server fed by 30 clients opens no tab', async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    const port = await startServer(page, 'sink');
    for (let i = 0; i < 30; i++) {
      await new Promise<void>((resolve, reject) => {
        const c = net.connect(port, '127.0.0.1', () => c.end('x'));
        c.on('close', () => resolve());
        c.on('error', reject);
      });
    }
    await treeRow(page, new RegExp(`127\\.0\\.0\\.1:${port}\\s*listening · ↑0 B ↓30 B`)).waitFor({ timeout: 20_000 });
    await page.waitForTimeout(1_000); // a panel would have opened by now
    assert.equal(await sessionTabs(page), 0);
  });

  it("typing in a client's panel opens no panel for the server's side of that connection, and keeps the focus", async () => {
    const page = vsc.page;
    await runCommand(page, 'Socket Lab: Clear Closed'); // the sink's 30 closed rows would push the next server out of view
    const port = await startServer(page, 'echo');
    await runCommand(page, 'Socket Lab: Connect TCP Client');
    await answerInputBox(page, `127.0.0.1:${port}`);
    // the panel the command opened, used as it opened (a click on its tree row as well would race the typing for the focus)
    const frame = await panelOpened(page, `127.0.0.1:${port}`);
    await frame.locator('body[data-ready="true"] .send-input').waitFor({ timeout: 20_000 });
    await treeRow(page, new RegExp(`127\\.0\\.0\\.1:${port}\\s*open`), 'Connections').waitFor({ timeout: 20_000 });
    await typeAndSend(frame, 'hello');
    await frame.locator('.chunk.in').first().waitFor({ timeout: 20_000 });
    await page.waitForTimeout(1_000);
    assert.equal(await sessionTabs(page), 1, 'only the client panel the user opened');
    const focused = await frame.evaluate(() => document.activeElement?.closest('.send-input') !== null);
    assert.ok(focused, 'the send box keeps the keyboard focus');
  });
});

describe('socketLab.panel.autoOpen = background', function () {
  const vsc = useVsCode({ trusted: true, settings: { 'socketLab.panel.autoOpen': 'background' } });

  it('opens the panel as a tab behind the editor the user is in: no new group, the editor stays in front', async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    await runCommand(page, 'Socket Lab: Start TCP Server');
    await answerInputBox(page, '0');
    await pickQuickItem(page, 'echo');
    const row = treeRow(page, /127\.0\.0\.1:\d+\s*listening/);
    await row.waitFor({ timeout: 20_000 });
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(await row.innerText())![1]);
    await runCommand(page, 'File: New Untitled Text File');
    await page.locator('.tabs-container .tab.active').filter({ hasText: 'Untitled-1' }).waitFor({ timeout: 20_000 });
    await new Promise<void>((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1', () => c.end('x'));
      c.resume(); // read the echo, so the connection can end
      c.on('close', () => resolve());
      c.on('error', reject);
    });
    await page.locator('.tabs-container .tab').filter({ hasText: /^Session / }).first().waitFor({ state: 'attached', timeout: 20_000 });
    await page.waitForTimeout(500);
    assert.equal(await page.locator('.editor-group-container').count(), 1, 'no group beside the editor');
    assert.match(await page.locator('.tabs-container .tab.active').first().innerText(), /Untitled-1/, 'the editor stays in front');
  });
});
