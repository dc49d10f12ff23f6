// Check My Solution from the Lessons view (issue 16): a learner's copy of lesson 1 in the workspace is run against
// the exercise's checker; a right solution passes, a copy that breaks the lesson fails with the evidence.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { findFrame, openSocketLabView, pickQuickItem, runCommand, screenshot, treeRow, useVsCode, viewPane, waitFor, waitForNotification } from '../harness';
import { repoRoot } from '../../support';

const lesson = path.join(repoRoot, 'lessons', '01-tcp-echo');
const read = (f: string) => fs.readFileSync(path.join(lesson, f), 'utf8');

/** Expands a view pane of the Socket Lab container if it is collapsed. */
async function expandView(page: Page, name: string): Promise<void> {
  const header = viewPane(page, name).locator('.pane-header').first();
  await header.waitFor({ timeout: 15_000 });
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
}

/** Clicks the inline Check My Solution of an exercise row. */
async function checkFromView(page: Page, exercise: RegExp): Promise<void> {
  const row = treeRow(page, exercise, 'Lessons');
  await row.waitFor({ timeout: 20_000 });
  await row.scrollIntoViewIfNeeded();
  await row.hover();
  await row.locator('.action-label[aria-label="Check My Solution"]').click();
}

describe('lessons: Check My Solution from the Lessons view', function () {
  // the learner copied lesson 1 into the workspace: the client solves exercise 1, the server no longer upper-cases
  const vsc = useVsCode({
    trusted: true,
    viewport: { width: 1400, height: 900 },
    files: {
      '01-tcp-echo/client.py': read('solutions/1/client.py'),
      '01-tcp-echo/server.py': read('server.py').replace('data.upper()', 'data'),
    },
  });

  it('a right solution of exercise 1 passes; a server that no longer upper-cases fails exercise 0 with what was expected and what came', async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    // the other views fold away so the lesson's exercises and "what to watch" items are on screen
    for (const other of ['Connections', 'Captures', 'System Sockets']) {
      const header = viewPane(page, other).locator('.pane-header').first();
      if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
    }
    await expandView(page, 'Lessons');
    const first = treeRow(page, '01 TCP echo', 'Lessons');
    await first.waitFor({ timeout: 20_000 });
    await first.locator('.monaco-tl-twistie').click();
    await checkFromView(page, /Exercise 1: Ping, read the answer, then quit/);
    await waitForNotification(page, /Exercise 1 of "01 TCP echo": passed\./, 30_000);
    await treeRow(page, /Exercise 1: Ping, read the answer, then quit\s*passed/, 'Lessons').waitFor({ timeout: 10_000 });
    await checkFromView(page, /Exercise 0: The lesson itself/);
    const toast = await waitForNotification(page, /Exercise 0 of "01 TCP echo": not passed — ✗ expect "HELLO, SOCKET LAB"/, 30_000);
    await toast.locator('.monaco-button', { hasText: 'Show Evidence' }).click();
    const output = page.locator('.part.panel .view-lines');
    await waitFor('the evidence in the output', () => output.allInnerTexts(), (t) => t.some((x) => /expected\s+"HELLO,\sSOCKET\sLAB"[\s\S]*got\s+"hello,\ssocket\slab"/.test(x)));
    assert.ok(await treeRow(page, /Exercise 0: The lesson itself\s*not passed/, 'Lessons').count());
    await screenshot(page, 'lesson-check');
  });

  it('Run Lesson with Capture starts the capture on the lesson\'s port first: the packet panel holds the handshake', async () => {
    const page = vsc.page;
    await runCommand(page, 'Socket Lab: Run Lesson with Capture');
    await pickQuickItem(page, /01 TCP echo/);
    const frame = await findFrame(page, '.pk-app[data-ready="true"]', 30_000);
    await frame.locator('.pk-row[data-index="2"]').waitFor({ timeout: 45_000 });
    const info = (await frame.locator('.pk-row[data-index] .pk-c-info').allInnerTexts()).map((t) => t.trim());
    assert.match(info[0], /\[SYN\] Seq=0 /);
    assert.match(info[1], /\[SYN, ACK\] Seq=0 Ack=1 /);
    assert.match(info[2], /\[ACK\] Seq=1 Ack=1 /);
    // "what to watch" links to the evidence: the handshake item applies its filter to the lesson's capture
    const handshake = treeRow(page, /The three-way handshake/, 'Lessons');
    await handshake.scrollIntoViewIfNeeded();
    await handshake.click();
    // SYN, SYN-ACK and the final ACK, nothing else of the lesson's connection
    await frame.locator('.pk-app[data-matched="3"][data-filter-error="false"]').waitFor({ timeout: 20_000 });
    assert.match(await frame.locator('.pk-filter-input').inputValue(), /^tcp\.flags\.syn == 1 \|\| /);
    const flagsShown = async () => (await frame.locator('.pk-row[data-index] .pk-c-info').allInnerTexts()).map((t) => /\[([A-Z, ]+)\]/.exec(t)?.[1]);
    await waitFor('the three handshake rows', flagsShown, (f) => JSON.stringify(f) === JSON.stringify(['SYN', 'SYN, ACK', 'ACK']));
    // the conversation diagram knows the lesson's connection (it once stayed at "No TCP connection")
    await waitFor('the connection in the diagram', () => frame.locator('.pk-diag-pane .pk-select option').count(), (n) => n === 1);
    await screenshot(page, 'lesson-evidence');
  });
});
