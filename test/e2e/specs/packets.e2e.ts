// The packet panel in a real VS Code: open a real loopback capture (handshake, data, FIN) with
// socketLab.capture.openFile, filter it, pick tcp.flags and see its bytes, read the conversation diagram.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { dissect, DissectContext, findField } from '../../../src/core/decode/dissect';
import { readCaptureFile } from '../../../src/core/pcap/pcapReader';
import { answerFileDialog, answerInputBox, editorTab, mediaDir, pickQuickItem, repoRoot, runCommand, screenshot, setColorTheme, useVsCode, waitFor, type VsCode } from '../harness';
import { freePort } from '../../support';

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'packetPanel', 'loopbackTcp.pcapng');
const OPEN_FILE = 'Socket Lab: Open Capture File (pcap/pcapng)';

/** Runs openFile from the palette and types the path into VS Code's own file dialog. */
async function openCapture(page: Page, vsc: VsCode, name: string): Promise<Frame> {
  const target = path.join(vsc.workspace, name);
  fs.copyFileSync(FIXTURE, target);
  // The palette lists extension commands only once the extension registry has loaded them.
  await page.locator('.activitybar [aria-label^="Socket Lab"]').first().waitFor({ timeout: 30_000 });
  await runCommand(page, OPEN_FILE).catch(async () => {
    await page.waitForTimeout(2000);
    await runCommand(page, OPEN_FILE);
  });
  await answerFileDialog(page, target);
  const frame = await findFrameWith(page, '.pk-app[data-ready="true"]');
  return frame;
}

async function findFrameWith(page: Page, selector: string, timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const f of page.frames()) {
      if (f !== page.mainFrame() && (await f.$(selector).catch(() => null))) return f;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no webview frame contains ${selector}`);
}

const infoTexts = async (frame: Frame) => (await frame.locator('.pk-row[data-index] .pk-c-info').allInnerTexts()).map((t) => t.trim());

describe('packet panel', function () {
  const vsc = useVsCode({ trusted: true, viewport: { width: 1500, height: 900 } });
  let frame: Frame;

  // What the decoder says about the fixture's first SYN, to compare the panel against.
  const packets = readCaptureFile(new Uint8Array(fs.readFileSync(FIXTURE))).packets;
  const syn = dissect(packets[0], new DissectContext(), 1);
  const flags = findField(syn, 'tcp.flags');
  assert.ok(flags, 'the decoder finds tcp.flags in the fixture');
  const flagBytes = Array.from(packets[0].data.subarray(flags.offset, flags.offset + flags.length), (b) => b.toString(16).padStart(2, '0'));

  it('opens a pcapng file and lists SYN / SYN-ACK / ACK in Wireshark columns', async () => {
    frame = await openCapture(vsc.page, vsc.vscode, 'loopback.pcapng');
    const headers = (await frame.locator('.pk-head .pk-c').allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(headers, ['No.', 'Time', 'Source', 'Destination', 'Protocol', 'Length', 'Info']);
    await frame.locator('.pk-row[data-index="9"]').waitFor({ timeout: 15_000 });
    const info = await infoTexts(frame);
    assert.equal(info.length, 10);
    assert.match(info[0], /→ 47811 \[SYN\] Seq=0 /);
    assert.match(info[1], /47811 → \d+ \[SYN, ACK\] Seq=0 Ack=1 /);
    assert.match(info[2], /\[ACK\] Seq=1 Ack=1 /);
    assert.match(info[7], /\[FIN, ACK\]/);
    assert.equal(await frame.locator('.pk-row[data-index="0"] .pk-c-protocol').innerText(), 'TCP');
  });

  it('sizes Time and Source/Destination so a time to the µs and a full IPv4 address show whole; addresses have a tooltip', async () => {
    const fit = await frame.evaluate(() => {
      const row = document.querySelector('.pk-row[data-index]') as HTMLElement;
      const cell = (c: string) => row.querySelector(`.pk-c-${c}`) as HTMLElement;
      // the longest IPv4 address and a time of 9999 s, in the rows' own font and cell padding
      const need = (text: string) => {
        const probe = cell('source').cloneNode() as HTMLElement;
        probe.textContent = text;
        probe.style.cssText = 'position: absolute; display: inline-block; overflow: visible';
        row.append(probe);
        const w = probe.getBoundingClientRect().width;
        probe.remove();
        return w;
      };
      return {
        ip: need('255.255.255.255'), time: need('9999.999999'),
        source: cell('source').clientWidth, timeCol: cell('time').clientWidth, title: cell('source').title, text: cell('source').textContent,
      };
    });
    assert.ok(fit.source >= fit.ip, `Source ${fit.source} px holds 255.255.255.255 (${fit.ip} px)`);
    assert.ok(fit.timeCol >= fit.time, `Time ${fit.timeCol} px holds 9999.999999 (${fit.time} px)`);
    assert.equal(fit.title, fit.text, 'the address is its own tooltip (an IPv6 address may be cut)');
  });

  it('lays the list out for the window: Info gets the room, header and body scroll together, columns resize, the diagram folds away', async () => {
    const page = vsc.page;
    /** Header vs body geometry, in the webview's own coordinates. */
    const geometry = () =>
      frame.evaluate(() => {
        const head = document.querySelector('.pk-head') as HTMLElement;
        const body = document.querySelector('.pk-scroll') as HTMLElement;
        const row = (document.querySelector('.pk-row.selected[data-index]') ?? document.querySelector('.pk-row[data-index]')) as HTMLElement;
        const boxes = (e: Element) => [...e.querySelectorAll('.pk-c')].map((c) => c.getBoundingClientRect());
        const h = boxes(head);
        const r = boxes(row);
        const misaligned = h.map((b, i) => Math.max(Math.abs(b.left - r[i].left), Math.abs(b.right - r[i].right)));
        const list = document.querySelector('.pk-list') as HTMLElement;
        return {
          headLeft: head.scrollLeft,
          bodyLeft: body.scrollLeft,
          misaligned: Math.max(...misaligned),
          infoShare: h[6].width / list.clientWidth,
          widths: h.map((b) => Math.round(b.width)),
          listWidth: list.clientWidth,
          overflow: body.scrollWidth - body.clientWidth,
        };
      });
    // 1400 px with the side bar closed (the list beside the diagram, ~1000 px): full IPv4 columns and Info at 40 %
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await page.setViewportSize({ width: 1400, height: 900 });
    await waitFor('Info column at 1400 px', geometry, (g) => g.infoShare >= 0.4, 10_000);

    // Click a packet: header and body stay together, each label over its column.
    await frame.locator('.pk-row[data-index="4"] .pk-c-info').click();
    await waitFor('aligned after a click', geometry, (v) => v.headLeft === v.bodyLeft && v.misaligned < 1, 5_000);

    // Narrow window: the body scrolls sideways (Shift+wheel), the header follows it.
    await page.setViewportSize({ width: 900, height: 900 });
    await waitFor('columns overflow at 900 px', geometry, (v) => v.overflow > 0, 10_000);
    await frame.locator('.pk-row[data-index="2"]').hover();
    await page.mouse.wheel(160, 0);
    await waitFor('header follows the body', geometry, (v) => v.bodyLeft > 0 && v.headLeft === v.bodyLeft && v.misaligned < 1, 5_000);
    await frame.locator('.pk-row[data-index="3"] .pk-c-info').click();
    await waitFor('aligned after a click while scrolled', geometry, (v) => v.headLeft === v.bodyLeft && v.misaligned < 1, 5_000);
    await frame.locator('.pk-scroll').evaluate((e) => (e.scrollLeft = 0));
    await page.setViewportSize({ width: 1400, height: 900 });
    let g = await waitFor('back at 1400 px', geometry, (v) => v.infoShare >= 0.4, 10_000);

    // Drag the Source column's right border 60 px to the right; the arrow keys move it too.
    const grip = frame.locator('.pk-head .pk-c-source .pk-resize');
    const b = await grip.boundingBox();
    assert.ok(b, 'the Source column has a resize handle');
    const before = g.widths[2];
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2 + 30, b.y + b.height / 2, { steps: 3 });
    await page.mouse.move(b.x + b.width / 2 + 60, b.y + b.height / 2, { steps: 3 });
    await page.mouse.up();
    g = await geometry();
    assert.ok(Math.abs(g.widths[2] - (before + 60)) <= 2, `Source width ${before} → ${g.widths[2]} after a 60 px drag`);
    assert.ok(g.misaligned < 1, 'rows follow the header');
    await grip.focus();
    await grip.press('ArrowLeft');
    g = await geometry();
    assert.ok(Math.abs(g.widths[2] - (before + 50)) <= 2, `ArrowLeft narrows Source by 10 px (now ${g.widths[2]})`);

    // The diagram folds away (aria-expanded) and the list takes its width; the choice survives a hide/show.
    const toggle = frame.locator('.pk-diag-toggle');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    const wide = g.listWidth;
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await frame.locator('.pk-diagram').waitFor({ state: 'hidden', timeout: 5_000 });
    await waitFor('list takes the diagram\'s width', geometry, (v) => v.listWidth > wide + 200, 5_000);
    await screenshot(page, 'packets-diagram-collapsed-1400');
    await runCommand(page, 'File: New Untitled Text File');
    await editorTab(page, 'loopback.pcapng').click();
    frame = await findFrameWith(page, '.pk-app[data-ready="true"] .pk-diag-toggle[aria-expanded="false"]');
    assert.equal((await geometry()).widths[2], before + 50, 'column widths survive a hide/show');
    await frame.locator('.pk-diag-toggle').click();
    assert.equal(await frame.locator('.pk-diag-toggle').getAttribute('aria-expanded'), 'true');
    await frame.locator('g.pk-seg').first().waitFor({ timeout: 10_000 });
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
  });

  it('draws the connection as arrows: handshake and teardown at a glance', async () => {
    const segs = frame.locator('g.pk-seg');
    await segs.nth(9).waitFor({ timeout: 15_000 });
    assert.equal(await segs.count(), 10);
    const flagsText = await segs.evaluateAll((gs) => gs.map((g) => (g as SVGGElement).dataset.flags));
    assert.deepEqual(flagsText.slice(0, 3), ['[SYN]', '[SYN, ACK]', '[ACK]']);
    assert.deepEqual(flagsText.slice(7), ['[FIN, ACK]', '[FIN, ACK]', '[ACK]']);
    // The SYN goes left → right, the SYN-ACK comes back right → left.
    const x = await frame.locator('g.pk-seg line.pk-arrow').evaluateAll((ls) => ls.slice(0, 2).map((l) => [Number(l.getAttribute('x1')), Number(l.getAttribute('x2'))]));
    assert.ok(x[0][0] < x[0][1] && x[1][0] > x[1][1], `arrow directions ${JSON.stringify(x)}`);
    assert.match(await frame.locator('g.pk-seg').nth(1).innerHTML(), /Seq=0 Ack=1 Len=0/);
  });

  it('filters with tcp.flags.syn == 1 to the two SYN rows, and shows a bad filter in place', async () => {
    const input = frame.locator('.pk-filter-input');
    await input.fill('tcp.flags.syn ==');
    await input.press('Enter');
    await frame.locator('.pk-app[data-filter-error="true"]').waitFor({ timeout: 10_000 });
    // the reason, and that the list below is still the previous filter's (as Wireshark keeps it)
    assert.match(await frame.locator('.pk-filter-error').innerText(), /.+ The list still shows the result of the previous filter\.$/);
    assert.equal(await input.getAttribute('aria-invalid'), 'true');
    await input.fill('tcp.flags.syn == 1');
    await input.press('Enter');
    await frame.locator('.pk-app[data-matched="2"][data-filter-error="false"]').waitFor({ timeout: 10_000 });
    await frame.waitForFunction(() => [...document.querySelectorAll('.pk-row')].filter((r) => r.getAttribute('data-tone') !== 'wait').length === 2, undefined, { timeout: 10_000 });
    const info = await infoTexts(frame);
    assert.equal(info.length, 2);
    assert.match(info[0], /\[SYN\]/);
    assert.match(info[1], /\[SYN, ACK\]/);
    assert.match(await frame.locator('.pk-status').innerText(), /2 of 10/);
  });

  it('selects tcp.flags in the field tree and highlights exactly its bytes; a byte click selects its field', async () => {
    await frame.locator('.pk-row[data-index="0"]').click();
    const tcpLayer = frame.locator('.pk-item[data-field="tcp"]');
    await tcpLayer.waitFor({ timeout: 10_000 });
    assert.equal(await frame.locator('.pk-item[data-field="tcp"] .pk-role').innerText(), 'segment');
    assert.equal(await frame.locator('.pk-item[data-field="ip"] .pk-role').innerText(), 'packet');
    await tcpLayer.click();
    await tcpLayer.press('ArrowRight'); // keyboard: expand the layer
    const flagsItem = frame.locator('.pk-item[data-field="tcp.flags"]');
    await flagsItem.waitFor({ timeout: 10_000 });
    await flagsItem.click();
    await frame.waitForFunction((n) => document.querySelectorAll('.hex-view .hb.field').length === n, flagBytes.length, { timeout: 10_000 });
    const lit = (await frame.locator('.hex-view .hb.field').allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(lit, flagBytes);
    assert.equal(await frame.locator('.pk-app').getAttribute('data-field'), 'tcp.flags');
    await screenshot(vsc.page, 'packets-flags-selected');

    // Reverse: click the first byte of the IP source address → ip.src is selected.
    const ipSrc = findField(syn, 'ip.src');
    assert.ok(ipSrc);
    const row = Math.floor(ipSrc.offset / 16);
    const col = ipSrc.offset % 16;
    await frame.locator(`.hex-view .hex-row >> nth=${row}`).locator(`.hb[data-c="${col}"]`).click();
    await frame.locator('.pk-app[data-field="ip.src"]').waitFor({ timeout: 10_000 });
    assert.equal(await frame.locator('.pk-item[aria-selected="true"]').getAttribute('data-field'), 'ip.src');

    // The same hex pane as the session panel's: find (after the selection), copy, go to.
    const message = () => frame.locator('.pk-hex-pane .hex-message').innerText();
    const find = frame.locator('.hex-find input');
    await frame.locator('.hex-find-mode').evaluate((e) => ((e as HTMLElement & { value: string }).value = 'hex'));
    await find.fill(flagBytes.join(' '));
    await find.press('Enter');
    await waitFor('found', message, (m) => m === `Found at offset ${flags.offset}.`);
    await frame.locator('.hex-copy').click();
    await waitFor('copied', message, (m) => m === `Copied ${flagBytes.length} bytes.`);
    const goTo = frame.locator('.hex-goto input');
    await goTo.fill('999');
    await goTo.press('Enter');
    await waitFor('out of range', message, (m) => m === `Offset out of range: the held bytes are 0–${packets[0].data.length - 1}.`);
  });

  it('exports one connection as pcapng that tshark reads back with every packet', async () => {
    await frame.locator('.pk-row[data-index="0"]').click();
    const exportConn = frame.locator('.pk-btn', { hasText: 'Export this connection' });
    await frame.waitForFunction(() => [...document.querySelectorAll<HTMLButtonElement>('.pk-btn')].some((b) => b.textContent === 'Export this connection' && !b.disabled), undefined, { timeout: 10_000 });
    await exportConn.click();
    const out = path.join(vsc.vscode.workspace, 'connection.pcapng');
    await answerFileDialog(vsc.page, out);
    await frame.locator('.pk-note', { hasText: out }).waitFor({ timeout: 15_000 });
    const lines = execFileSync('tshark', ['-r', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    assert.equal(lines.length, 10, 'the whole connection, not just the filtered rows');
    assert.match(lines[0], /\[SYN\]/);
    assert.match(execFileSync('capinfos', ['-t', out], { encoding: 'utf8' }), /pcapng/);
  });

  it('a right-click selects its row; Shift+F10 on the list opens the selected row\'s menu (Follow Stream), not Cut/Copy/Paste', async () => {
    const page = vsc.page;
    await frame.locator('.pk-filter-input').fill('');
    await frame.locator('.pk-filter-input').press('Enter');
    await frame.locator('.pk-app[data-matched="10"]').waitFor({ timeout: 10_000 });
    await frame.locator('.pk-row[data-index="6"]').click();
    await frame.locator('.pk-row[data-index="3"]').click({ button: 'right' });
    const menu = page.locator('.context-view .monaco-menu');
    await page.locator('.context-view .action-label', { hasText: 'Follow Stream' }).first().waitFor({ timeout: 10_000 });
    assert.equal(await frame.locator('.pk-row[data-index="3"]').getAttribute('aria-selected'), 'true', 'the right-clicked row is selected');
    assert.equal(await frame.locator('.pk-row[data-index="6"]').getAttribute('aria-selected'), 'false');
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden', timeout: 5_000 });

    await frame.locator('.pk-row[data-index="5"]').click();
    await frame.locator('.pk-list').press('ArrowDown'); // the keyboard moves the selection to packet 7
    await waitFor('packet 7 selected', () => frame.locator('.pk-row[data-index="6"]').getAttribute('aria-selected'), (v) => v === 'true');
    assert.equal(JSON.parse((await frame.locator('.pk-list').getAttribute('data-vscode-context')) ?? '{}').packetIndex, 6, 'the list carries the selected row\'s context');
    await frame.locator('.pk-list').press('Shift+F10');
    const items = page.locator('.context-view .action-label');
    await items.first().waitFor({ timeout: 10_000 });
    const labels = await items.allInnerTexts();
    assert.ok(labels.some((l) => l.includes('Follow Stream')), `the row's menu: ${labels.join(', ')}`);
    assert.ok(!labels.some((l) => /^(Cut|Paste)$/.test(l.trim())), `not the generic edit menu: ${labels.join(', ')}`);
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden', timeout: 5_000 });
  });

  it('looks native in the light and the dark theme (screenshots for the README)', async () => {
    await runCommand(vsc.page, 'View: Toggle Primary Side Bar Visibility'); // give the panel the window
    await frame.locator('.pk-item[data-field="tcp.flags"]').click();
    fs.mkdirSync(mediaDir, { recursive: true });
    for (const [theme, name] of [['Light Modern', 'light'], ['Dark Modern', 'dark']] as const) {
      await setColorTheme(vsc.page, theme);
      await vsc.page.waitForTimeout(500); // the webview repaints after the theme variables change
      const file = path.join(mediaDir, `packet-panel-${name}.png`);
      await vsc.page.screenshot({ path: file });
      assert.ok(fs.statSync(file).size > 10_000, `${file} has content`);
    }
    // 900 and 1400 px wide, sidebar shown, in each theme (test-results/, to look at)
    await runCommand(vsc.page, 'View: Toggle Primary Side Bar Visibility');
    for (const [theme, name] of [['Light Modern', 'light'], ['Dark Modern', 'dark'], ['Dark High Contrast', 'hc']] as const) {
      await setColorTheme(vsc.page, theme);
      for (const width of [900, 1400]) {
        await vsc.page.setViewportSize({ width, height: 900 });
        await frame.waitForFunction((w) => document.documentElement.clientWidth < w - 300, width, { timeout: 10_000 });
        await vsc.page.waitForTimeout(500); // the webview repaints after the theme variables change
        await screenshot(vsc.page, `packet-panel-${width}-${name}`);
      }
    }
    await vsc.page.setViewportSize({ width: 1500, height: 900 });
  });
});

/** A real TCP exchange on 127.0.0.1: connect, "hello", echo, FIN both ways. Returns the server port. */
async function loopbackExchange(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer((s) => {
      s.on('data', (d) => s.write(d));
      s.on('end', () => s.end());
    });
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const c = net.connect(port, '127.0.0.1', () => c.write('hello\n'));
      c.once('data', () => c.end());
      c.on('close', () => server.close(() => resolve()));
      c.on('error', reject);
    });
  });
}


describe('packet panel (live capture on lo)', function () {
  const vsc = useVsCode({ trusted: true, viewport: { width: 1500, height: 900 } });

  it('Start Capture opens the panel, which fills with the handshake, data and teardown as they happen', async () => {
    const port = await freePort();
    await vsc.page.locator('.activitybar [aria-label^="Socket Lab"]').first().waitFor({ timeout: 30_000 });
    await runCommand(vsc.page, 'Socket Lab: Start Capture');
    await pickQuickItem(vsc.page, 'lo');
    await answerInputBox(vsc.page, `tcp port ${port}`);
    const frame = await findFrameWith(vsc.page, '.pk-app[data-ready="true"]', 60_000);
    assert.match(await frame.locator('.pk-status').innerText(), /capturing/);
    assert.equal(await frame.locator('.pk-app').getAttribute('data-total'), '0');
    await loopbackExchange(port);
    // Counts arrive as coalesced events; rows are pulled by the list.
    await frame.waitForFunction(() => Number(document.querySelector('.pk-app')?.getAttribute('data-total')) >= 10, undefined, { timeout: 20_000 });
    await frame.waitForFunction(() => [...document.querySelectorAll('.pk-row[data-index] .pk-c-info')].some((c) => /\[FIN, ACK\]/.test(c.textContent ?? '')), undefined, { timeout: 20_000 });
    const info = await infoTexts(frame);
    assert.match(info[0], new RegExp(`→ ${port} \\[SYN\\] Seq=0`));
    assert.match(info[1], /\[SYN, ACK\] Seq=0 Ack=1/);
    assert.ok(info.some((t) => /Len=6/.test(t)), 'the 6-byte "hello\\n" segment');
    await frame.waitForFunction(() => document.querySelectorAll('g.pk-seg').length >= 10, undefined, { timeout: 20_000 });
    // Export the whole live capture: the capture manager writes it; tshark reads every packet back.
    await frame.locator('.pk-btn', { hasText: 'Export pcapng' }).click();
    const out = path.join(vsc.vscode.workspace, 'live.pcapng');
    await answerFileDialog(vsc.page, out);
    await frame.locator('.pk-note', { hasText: out }).waitFor({ timeout: 15_000 });
    const shown = Number(await frame.locator('.pk-app').getAttribute('data-total'));
    const lines = execFileSync('tshark', ['-r', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    assert.ok(lines.length >= shown, `tshark read ${lines.length} packets, the panel showed ${shown}`);
    assert.match(lines[0], /\[SYN\]/);
    await runCommand(vsc.page, 'Socket Lab: Stop Capture');
    await frame.locator('.pk-status', { hasText: 'stopped' }).waitFor({ timeout: 20_000 });
  });
});

describe('packet panel (Restricted Mode)', function () {
  const vsc = useVsCode({ trusted: false });

  it('opens a capture file without trust: reading runs nothing', async () => {
    const frame = await openCapture(vsc.page, vsc.vscode, 'untrusted.pcapng');
    await frame.locator('.pk-row[data-index="2"]').waitFor({ timeout: 15_000 });
    const info = await infoTexts(frame);
    assert.equal(info.length, 10);
    assert.match(info[1], /\[SYN, ACK\]/);
    assert.equal(await frame.locator('g.pk-seg').count(), 10);
  });
});
