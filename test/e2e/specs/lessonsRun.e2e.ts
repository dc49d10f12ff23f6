// Run Lesson as a learner uses it: their copy in the workspace runs (the terminal says which folder), a lesson run's
// capture stops when the run is over (the evidence links keep working), and the lessons without a TCP/UDP pair
// (ping, names and addresses) can be run with a capture too; a Unix-socket lesson's watch items say why no packets.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { findFrame, openSocketLabView, pickQuickItem, runCommand, screenshot, terminalText, treeRow, useVsCode, viewPane, waitFor } from '../harness';
import { repoRoot, until } from '../../support';

const lesson = path.join(repoRoot, 'lessons', '01-tcp-echo');
const read = (f: string) => fs.readFileSync(path.join(lesson, f), 'utf8');
const wait = (check: () => boolean | Promise<boolean>, what: string, ms = 20_000) => until(check, what, ms, 250);

/** Capture engine processes (dumpcap, tcpdump) whose filter is exactly this one. */
function capturing(filter: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', '--', `-f ${filter}( |$)`], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function showView(page: Page, name: string, open: boolean): Promise<void> {
  const header = viewPane(page, name).locator('.pane-header').first();
  await header.waitFor({ timeout: 15_000 });
  if (((await header.getAttribute('aria-expanded')) === 'true') !== open) await header.click();
}

/** The entries of a Lessons row's context menu; runs `choose` if given, else closes the menu with Escape. */
async function menuEntries(page: Page, row: RegExp, choose?: string): Promise<string[]> {
  const r = treeRow(page, row, 'Lessons');
  await r.scrollIntoViewIfNeeded();
  await r.click({ button: 'right' });
  const items = page.locator('.context-view .action-label');
  await items.first().waitFor({ timeout: 15_000 });
  const texts = (await items.allInnerTexts()).map((t) => t.trim()).filter(Boolean);
  if (choose) {
    await page.waitForTimeout(300); // a menu ignores clicks in its first moments (the right-click's mouseup)
    await page.locator('.context-view .action-label', { hasText: choose }).first().click();
  } else {
    await page.keyboard.press('Escape');
  }
  await page.locator('.context-view .monaco-menu').waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
  return texts;
}

describe('lessons: Run Lesson runs the learner\'s copy; a run\'s capture ends with it', function () {
  // the learner copied lesson 1 into the workspace and changed the server's reply
  const vsc = useVsCode({
    trusted: true,
    viewport: { width: 1500, height: 1000 },
    settings: { 'terminal.integrated.gpuAcceleration': 'off' },
    files: {
      '01-tcp-echo/client.py': read('client.py'),
      '01-tcp-echo/server.py': read('server.py').replace('conn.sendall(data.upper())', "conn.sendall(b'COPY ' + data.upper())"),
    },
  });

  it('Run Lesson runs the copy in the workspace and its terminal names that folder', async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    await runCommand(page, 'Socket Lab: Run Lesson (Server and Client)');
    await pickQuickItem(page, /01 TCP echo/);
    const copy = path.join(vsc.vscode.workspace, '01-tcp-echo');
    await wait(async () => /reply: COPY HELLO, SOCKET LAB/.test(await terminalText(page)), 'the copy\'s changed reply in the client terminal', 30_000);
    const text = (await terminalText(page)).replace(/\s+/g, ' ');
    assert.ok(text.includes(`Running your copy: ${copy}`), text);
    await screenshot(page, 'lessons-run-copy');
    await wait(async () => /done/.test(await treeRow(page, '01 TCP echo', 'Lessons').innerText()), 'the lesson to be done');
  });

  it('Run Lesson with Capture: once the lesson is done its capture stops, and the watch items still open its packets', async () => {
    const page = vsc.page;
    await showView(page, 'Captures', true);
    await runCommand(page, 'Socket Lab: Run Lesson with Capture');
    await pickQuickItem(page, /01 TCP echo/);
    const frame = await findFrame(page, '.pk-app[data-ready="true"]', 30_000);
    await frame.locator('.pk-row[data-index="2"]').waitFor({ timeout: 45_000 });
    const row = treeRow(page, /tcp port \d+/, 'Captures');
    await row.waitFor({ timeout: 20_000 });
    const filter = /tcp port \d+/.exec(await row.innerText())![0];
    // lesson 1's server ends after its one client: the run is over, so is its capture
    await wait(async () => /done/.test(await treeRow(page, '01 TCP echo', 'Lessons').innerText()), 'the lesson to be done', 30_000);
    await wait(async () => /·\s*stopped/.test(await row.innerText()), `the capture (${filter}) to stop when the lesson is done`, 15_000);
    await wait(() => capturing(filter).length === 0, 'no capture engine left running');
    await screenshot(page, 'lessons-capture-stopped');
    // the evidence stays: the teardown item opens the stopped capture's FIN packets
    await showView(page, 'Captures', false);
    const first = treeRow(page, '01 TCP echo', 'Lessons');
    if (!(await treeRow(page, /The FIN\/ACK teardown/, 'Lessons').count())) await first.locator('.monaco-tl-twistie').click();
    const teardown = treeRow(page, /The FIN\/ACK teardown/, 'Lessons');
    await teardown.scrollIntoViewIfNeeded();
    await teardown.click();
    await frame.locator('.pk-app[data-filter-error="false"]').waitFor({ timeout: 20_000 });
    await waitFor('the FIN filter in the packet panel', () => frame.locator('.pk-filter-input').inputValue(), (v) => v === 'tcp.flags.fin == 1');
    await waitFor('FIN packets matched', async () => Number(await frame.locator('.pk-app').getAttribute('data-matched')), (n) => n >= 2);
  });

  it('offers Run Lesson with Capture for ping (icmp) and names and addresses, not for Unix sockets; ping\'s capture holds echo and reply', async () => {
    const page = vsc.page;
    await runCommand(page, 'View: Close All Editors');
    const list = viewPane(page, 'Lessons').locator('.monaco-list').first();
    const find = async (name: RegExp) => {
      for (let i = 0; i < 40 && !(await treeRow(page, name, 'Lessons').isVisible()); i++) {
        await list.hover();
        await page.mouse.wheel(0, 150);
        await page.waitForTimeout(120);
      }
    };
    await find(/^\s*11 Unix domain sockets/);
    assert.ok(!(await menuEntries(page, /11 Unix domain sockets/)).includes('Run Lesson with Capture'));
    await find(/14 Names and addresses/);
    assert.ok((await menuEntries(page, /14 Names and addresses/)).includes('Run Lesson with Capture'));
    await find(/20 ICMP and ping/);
    // chosen from the lesson's own menu, as the learner does
    assert.ok((await menuEntries(page, /20 ICMP and ping/, 'Run Lesson with Capture')).includes('Run Lesson with Capture'));
    const frame = await findFrame(page, '.pk-app[data-ready="true"]', 30_000);
    await frame.locator('.pk-row[data-index="1"]').waitFor({ timeout: 45_000 });
    const info = (await frame.locator('.pk-row[data-index] .pk-c-info').allInnerTexts()).join('\n');
    assert.match(info, /Echo \(ping\) request/i);
    assert.match(info, /Echo \(ping\) reply/i);
    await wait(() => capturing('icmp').length === 0, 'ping\'s capture to stop when ping ends', 30_000);
    await screenshot(page, 'lessons-ping-capture');
  });
});
