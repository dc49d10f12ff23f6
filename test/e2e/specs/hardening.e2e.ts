// A server with 150 connections in real VS Code: the Connections tree shows 100 of them and a "… 50 more" row
// that loads the rest, instead of rendering every row. The clients are plain loopback sockets from the test.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import type { Page } from 'playwright-core';
import { answerInputBox, openSocketLabView, pickQuickItem, runCommand, treeRow, useVsCode } from '../harness';

async function rowText(page: Page, re: RegExp, timeout = 20_000): Promise<string> {
  const row = treeRow(page, re);
  await row.waitFor({ timeout });
  return (await row.innerText()).replace(/\s+/g, ' ').trim();
}

describe('hardening: a large server in the Connections tree', function () {
  const vsc = useVsCode({ trusted: true });
  const clients: net.Socket[] = [];
  after(() => {
    for (const c of clients) c.destroy();
  });

  it('150 clients: 100 rows and "… 50 more"; clicking it shows the rest', async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    await runCommand(page, 'Socket Lab: Start TCP Server');
    await answerInputBox(page, '0');
    await pickQuickItem(page, 'echo');
    const server = await rowText(page, /127\.0\.0\.1:\d+\s*listening/);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(server)![1]);
    for (let i = 0; i < 150; i++) {
      clients.push(await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
        s.on('error', reject);
      }));
    }
    // the paging row is the last row of the tree: End scrolls the virtualized list there
    const more = treeRow(page, /… 50 more/);
    for (let i = 0; i < 40 && !(await more.isVisible().catch(() => false)); i++) {
      await treeRow(page, /127\.0\.0\.1:\d+\s*listening/).click().catch(() => undefined);
      await page.keyboard.press('End');
      await page.waitForTimeout(250);
    }
    await more.waitFor({ timeout: 10_000 });
    await more.click();
    // after one click the last 50 are listed and the paging row is gone
    await page.waitForTimeout(600);
    await page.keyboard.press('End');
    await page.waitForTimeout(400);
    assert.equal(await treeRow(page, /… \d+ more/).count(), 0, 'the paging row is gone once everything is shown');
  });
});
