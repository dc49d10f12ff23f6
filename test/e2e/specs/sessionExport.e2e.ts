// Export… in a real VS Code: a Socket Lab TCP client talks to a plain Node peer that answers in upper case; the panel's
// time style is delta (kept when the panel is rebuilt), two chunks are selected (click, Shift+click) and exported as
// text with delta times, then every chunk as JSON Lines; the Connections menu's Export Transcript… writes a hex dump
// that xxd -r turns back into the bytes; the text is saved as 导出.txt and must be written at that name. The tree's
// tooltip tells the session's start as the panel tells times (24-hour). Screenshots: dark and light theme.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { answerFileDialog, answerInputBox, contextMenu, contributedCommand, findFrame, openFromTree, openSocketLabView, pickQuickItem, rowTooltip, runCommand, screenshot, setColorTheme, treeRow, useVsCode, waitFor, waitForNotification } from '../harness';

/** Picks `label` in a vscode-single-select by clicking it open and clicking the option, like a user. */
async function choose(frame: Frame, selectClass: string, label: string, value: string): Promise<void> {
  await frame.locator(`.${selectClass}`).click();
  await frame.locator(`.${selectClass} [role="option"]`).filter({ hasText: label }).first().click();
  await frame.waitForFunction(([c, v]) => (document.querySelector(`.${c}`) as HTMLElement & { value: string }).value === v, [selectClass, value]);
}

/**
 * Picks a quick pick's row with the mouse away first: left where the previous pick's row was, it hovers a row of this
 * one, whose description tooltip then covers the row below it.
 */
async function pick(page: Page, label: string, title: RegExp): Promise<void> {
  await page.mouse.move(1, 1);
  await pickQuickItem(page, label, title);
}

const chunkTexts = (frame: Frame) => frame.locator('.conv-list .chunk .chunk-body').allInnerTexts();

describe('session export', function () {
  const vsc = useVsCode({ trusted: true, settings: { 'workbench.colorTheme': 'Default Dark Modern' }, viewport: { width: 1400, height: 900 } });
  let server: net.Server;
  let port = 0;
  const sockets: net.Socket[] = [];

  before(async function () {
    if (!contributedCommand('socketLab.session.exportTranscript')) this.skip();
    server = net.createServer((s) => {
      sockets.push(s);
      s.on('data', (d) => s.write(d.toString().toUpperCase())).on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => {
    for (const s of sockets) s.destroy();
    server?.close();
  });

  it('exports the selected chunks as text with the panel\'s delta times, all chunks as JSON Lines, and a hex dump from the tree', async () => {
    const page: Page = vsc.page;
    const ws = vsc.vscode.workspace;
    await openSocketLabView(page);
    await runCommand(page, 'Socket Lab: Connect TCP Client');
    await answerInputBox(page, `127.0.0.1:${port}`);
    const rowText = new RegExp(`127\\.0\\.0\\.1:${port}\\s*open`);
    let frame = await openFromTree(page, treeRow(page, rowText), 'body[data-view="session"][data-controls="attached"] .send-input');
    for (const [i, word] of ['one', 'two', 'three'].entries()) {
      const input = frame.locator('.send-input input');
      await input.fill(word);
      await input.press('Enter');
      await waitFor(`the answer to ${word}`, () => chunkTexts(frame), (t) => t.length === 2 * (i + 1));
    }

    // the tree's tooltip tells the time as the panel does (24-hour 14:30:14, not the locale's 2:30:14 PM): the
    // session started at most a minute before its first chunk, read from the panel's absolute clock
    const secondsOf = (hms: string) => hms.split(':').reduce((a, x) => a * 60 + Number(x), 0);
    const firstChunk = (await frame.locator('.conv-list .chunk .chunk-time').first().innerText()).trim();
    assert.match(firstChunk, /^\d{2}:\d{2}:\d{2}\.\d{3}$/);
    const tip = await rowTooltip(page, rowText, 'Started');
    const started = /Started: (\S+)/.exec(tip)?.[1] ?? tip;
    assert.match(started, /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/, tip);
    const ahead = (secondsOf(firstChunk.slice(0, 8)) - secondsOf(started) + 86_400) % 86_400;
    assert.ok(ahead <= 60, `started ${started}, first chunk ${firstChunk}`);

    // delta times: each row counts from the one before it; the choice survives the webview being rebuilt
    await choose(frame, 'conv-time', 'Delta time', 'delta');
    const times = await waitFor('delta times', () => frame.locator('.conv-list .chunk .chunk-time').allInnerTexts(), (t) => t.length === 6 && t.every((x) => /^\+\d/.test(x)));
    assert.ok(times.every((x) => /^\+\d+(\.\d+)? (s|ms|µs)$/.test(x)), times.join(' | '));
    await runCommand(page, 'File: New Untitled Text File');
    await page.locator('.tabs-container .tab').filter({ hasText: `Session 127.0.0.1:${port}` }).first().click();
    frame = await findFrame(page, 'body[data-view="session"][data-controls="attached"] .conv-time');
    assert.equal(await frame.locator('.conv-time').evaluate((e) => (e as HTMLElement & { value: string }).value), 'delta');
    await waitFor('chunks after reopen', () => chunkTexts(frame), (t) => t.length === 6);

    // "two" and its answer selected: click one chunk, Shift+click the next
    await frame.locator('.conv-list .chunk.out').filter({ hasText: 'two' }).click();
    await frame.locator('.conv-list .chunk.in').filter({ hasText: 'TWO' }).click({ modifiers: ['Shift'] });
    await waitFor('two chunks marked as selected', () => frame.locator('.chunk.in-selection .chunk-body').allInnerTexts(), (t) => t.join() === 'two,TWO');
    assert.equal(await frame.evaluate(() => document.getSelection()?.toString() ?? ''), '', 'Shift+click selects bytes, not the page\'s text');
    await screenshot(page, 'session-export-selected-dark');

    // saved as 导出.txt: written at exactly that name (the dialog's filter once made it 导出.txt.log)
    const textFile = path.join(ws, '导出.txt');
    await frame.locator('.conv-export').click();
    await pick(page, 'The selected chunks', /Export which chunks/);
    await pick(page, 'Text', /Export format/);
    await answerFileDialog(page, textFile);
    await waitForNotification(page, /Exported 2 chunks \(6 bytes\) to .*导出\.txt\./);
    assert.deepEqual(fs.readdirSync(ws).filter((f) => f.startsWith('导出')), ['导出.txt']);
    const lines = fs.readFileSync(textFile, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0], /^\+0\.000 {2}s\d+ → 127\.0\.0\.1:\d+ {2}3 B {2}two$/);
    assert.match(lines[1], /^\+\d+\.\d{3} {2}s\d+ ← 127\.0\.0\.1:\d+ {2}3 B {2}TWO$/);

    const jsonFile = path.join(ws, 'all.jsonl');
    await frame.locator('.conv-export').click();
    await pick(page, 'All chunks', /Export which chunks/);
    await pick(page, 'JSON Lines', /Export format/);
    await answerFileDialog(page, jsonFile);
    await waitForNotification(page, /Exported 6 chunks \(22 bytes\)/);
    const records = fs.readFileSync(jsonFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { dir?: string; base64?: string; elapsed?: number });
    assert.deepEqual(records.filter((r) => r.dir).map((r) => `${r.dir} ${Buffer.from(r.base64!, 'base64')}`), ['out one', 'in ONE', 'out two', 'in TWO', 'out three', 'in THREE']);
    assert.ok(records.filter((r) => r.dir).every((r) => typeof r.elapsed === 'number'), 'delta times in every chunk\'s record');

    // from the Connections menu: every chunk as a hex dump that xxd -r reads back
    const hexFile = path.join(ws, 'all.hex');
    await contextMenu(page, rowText, 'Export Transcript…');
    await pick(page, 'Hex dump', /Export format/);
    await answerFileDialog(page, hexFile);
    await waitForNotification(page, /Exported 6 chunks \(22 bytes\) to .*all\.hex/);
    const back = spawnSync('xxd', ['-r', hexFile]);
    if (!back.error) assert.equal(back.stdout.toString(), 'oneONEtwoTWOthreeTHREE');

    await setColorTheme(page, 'Light Modern');
    await page.waitForTimeout(500); // the webview repaints with the theme's colours after the workbench
    await screenshot(page, 'session-export-selected-light');
  });
});
