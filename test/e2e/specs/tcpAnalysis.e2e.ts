// TCP analysis in the packet panel (issue 17): a capture the kernel made in network namespaces, with a relay dropping,
// duplicating and reordering segments (test/fixtures/tcpAnalysis/makeCaptures.py), opens in VS Code; the diagram
// marks the segments tshark flags, the summary counts what tshark counts, a marked arrow selects its "Bad TCP" row
// (coloured, its Info starting with tshark's note), the tree shows the expert info with its severity, and the
// filter bar's tcp.analysis filters keep what tshark keeps. Screenshots in the light and the dark theme.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { findFrame, openWorkspaceFile, runCommand, screenshot, setColorTheme, useVsCode, waitFor } from '../harness';
import { makeTcpAnalysisCaptures } from '../../fixtures/tcpAnalysis/captures';

function tshark(file: string, ...args: string[]): string[] {
  return spawnSync('tshark', ['-n', '-r', file, ...args], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l !== '');
}

/** The sender's capture of makeCaptures.py, or why it cannot be made here. */
function makeCapture(file: string): string | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-e2e-tcpa-'));
  try {
    const made = makeTcpAnalysisCaptures(dir);
    const sender = made.files.find((f) => path.basename(f) === 'sender.pcap');
    if (!sender) return made.why ?? 'makeCaptures.py made no sender.pcap';
    fs.copyFileSync(sender, file);
    return undefined;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Opens the tree item `field` (click, then the Right arrow key, as a keyboard user does). */
async function expand(frame: Frame, field: string): Promise<void> {
  const item = frame.locator(`.pk-item[data-field="${field}"]`).first();
  await item.click();
  if ((await item.getAttribute('aria-expanded')) === 'false') await item.press('ArrowRight');
  await waitFor(`${field} open`, () => item.getAttribute('aria-expanded'), (v) => v === 'true');
}

describe('packet panel: TCP analysis', function () {
  const vsc = useVsCode({ trusted: true, viewport: { width: 1500, height: 950 } });
  let frame: Frame;
  let file: string;

  it('marks on the diagram the segments tshark flags, and the summary counts what tshark counts', async function () {
    file = path.join(vsc.vscode.workspace, 'tcp-analysis.pcap');
    const why = makeCapture(file);
    if (why) {
      console.warn(`      skipped: ${why}`);
      return this.skip();
    }
    await vsc.page.locator('.activitybar [aria-label^="Socket Lab"]').first().waitFor({ timeout: 30_000 });
    await runCommand(vsc.page, 'View: Toggle Primary Side Bar Visibility'); // give the panel the window
    await openWorkspaceFile(vsc.page, 'tcp-analysis.pcap');
    frame = await findFrame(vsc.page, '.pk-app[data-ready="true"]');
    // the diagram shows the first connection (stream 0): its marked arrows are tshark's flagged frames of that stream
    await frame.locator('.pk-summary:not([hidden])').waitFor({ timeout: 20_000 });
    const flagged = tshark(file, '-Y', 'tcp.stream == 0 && tcp.analysis.flags', '-T', 'fields', '-e', 'frame.number').map(Number);
    assert.ok(flagged.length > 0, 'the relay disturbed the first connection');
    const marked = await frame.locator('g.pk-seg:has(.pk-mark)').evaluateAll((gs) => gs.map((g) => Number((g as SVGGElement).dataset.index) + 1));
    assert.deepEqual(marked, flagged, 'the marked arrows are the frames tshark flags');
    const count = (expr: string) => String(tshark(file, '-Y', `tcp.stream == 0 && ${expr}`).length);
    const value = (key: string) => frame.locator(`.pk-sum-item[data-key="${key}"] dd`).innerText();
    assert.equal(await value('retransmissions'), count('tcp.analysis.retransmission'));
    assert.equal(await value('dupacks'), count('tcp.analysis.duplicate_ack'));
    assert.equal(await value('zerowindows'), count('tcp.analysis.zero_window'));
    const irtt = Number(tshark(file, '-Y', 'tcp.stream == 0 && tcp.analysis.initial_rtt', '-T', 'fields', '-e', 'tcp.analysis.initial_rtt')[0]);
    assert.equal(await value('rtt'), `${(irtt * 1000).toFixed(3)} ms`, 'the handshake RTT is tshark\'s iRTT');
    assert.match(await value('end'), /^10\.77\.0\.\d:\d+ closed first \(FIN\)$/);
    // a mark's tooltip says what it means
    const tip = await frame.locator('g.pk-seg:has(.pk-mark) title').first().textContent();
    assert.match(tip ?? '', /\n.+: .+\./, 'the tooltip explains the mark');
  });

  it('a marked arrow selects its Bad TCP row: coloured, tshark\'s note first in Info, selection still visible; the tree shows the expert info', async function () {
    if (!frame) return this.skip();
    const arrow = frame.locator('g.pk-seg:has(.pk-mark-bad)').first();
    const no = Number(await arrow.getAttribute('data-index')) + 1;
    await arrow.click();
    await waitFor('the arrow\'s packet selected', () => frame.locator('.pk-app').getAttribute('data-selected'), (v) => Number(v) === no);
    const row = frame.locator(`.pk-row[data-index="${no - 1}"]`);
    assert.equal(await row.getAttribute('data-tone'), 'bad');
    const info = await row.locator('.pk-c-info').innerText();
    const theirs = tshark(file, '-Y', `frame.number == ${no}`, '-T', 'fields', '-e', '_ws.col.Info')[0];
    assert.equal(info, theirs, 'the Info column as tshark prints it, note first');
    assert.match(info, /^\[TCP /);
    // the selected bad row shows the selection's colour, an unselected one its own dark row
    await row.click();
    const bg = (sel: string) => frame.locator(sel).first().evaluate((e) => getComputedStyle(e).backgroundColor);
    const other = `.pk-row[data-tone="bad"]:not(.selected)`;
    if (await frame.locator(other).count()) assert.notEqual(await bg(`.pk-row.selected`), await bg(other), 'the selection is visible on a Bad TCP row');
    // the tree: the closed TCP layer says it holds expert info; opened, the analysis lines carry their severity
    const tcp = frame.locator('.pk-item[data-field="tcp"]');
    await tcp.waitFor({ timeout: 10_000 });
    if ((await tcp.getAttribute('aria-expanded')) === 'false') assert.equal(await tcp.locator('.pk-sev-inside').count(), 1);
    await expand(frame, 'tcp');
    await expand(frame, 'tcp.analysis');
    assert.equal(await frame.locator('.pk-item[data-field="tcp.analysis"] .pk-label').innerText(), 'SEQ/ACK analysis');
    await expand(frame, 'tcp.analysis.flags');
    // a duplicate ACK's expert line sits under the frame it duplicates, as in Wireshark
    if (await frame.locator('.pk-item[data-field="tcp.analysis.duplicate_ack_frame"][aria-expanded]').count()) await expand(frame, 'tcp.analysis.duplicate_ack_frame');
    const expert = frame.locator('.pk-item[data-severity]').first();
    assert.match(await expert.locator('.pk-label').innerText(), /^Expert Info \((Note|Warning)\/Sequence\): /);
    const severity = await expert.getAttribute('data-severity');
    assert.equal(await expert.locator(`.pk-sev-${severity}`).getAttribute('aria-label'), `Expert info: ${severity}`);
    await expert.click();
    await screenshot(vsc.page, 'tcp-analysis-selected');
  });

  it('the filter bar keeps what tshark keeps for tcp.analysis.flags and tcp.analysis.retransmission; light and dark', async function () {
    if (!frame) return this.skip();
    const input = frame.locator('.pk-filter-input');
    for (const expr of ['tcp.analysis.retransmission', 'tcp.analysis.flags']) {
      await input.fill(expr);
      await input.press('Enter');
      const n = tshark(file, '-Y', expr).length;
      await waitFor(expr, () => frame.locator('.pk-app').getAttribute('data-matched'), (v) => Number(v) === n);
      await frame.waitForFunction(() => document.querySelectorAll('.pk-row:not([data-tone="wait"])').length > 0, undefined, { timeout: 10_000 });
      const infos = await frame.locator('.pk-row:not([data-tone="wait"]) .pk-c-info').allInnerTexts();
      assert.ok(infos.every((i) => i.startsWith('[TCP ')), `${expr}: every row carries a note`);
      if (expr === 'tcp.analysis.retransmission') assert.ok(infos.every((i) => /Retransmission\] /.test(i)), infos.join('\n'));
    }
    // every colouring rule at once, for the screenshots
    await input.fill('tcp.analysis.flags || tcp.flags.syn == 1 || tcp.flags.fin == 1 || tcp.flags.reset == 1');
    await input.press('Enter');
    await waitFor('the mixed filter', () => frame.locator('.pk-app').getAttribute('data-matched'), (v) => Number(v) > 20);
    await frame.locator('.pk-row[data-tone="syn"]').first().waitFor({ timeout: 10_000 });
    await frame.locator('.pk-list').focus();
    await frame.locator('.pk-list').press('ArrowDown'); // keyboard selection
    for (const [theme, name] of [['Light Modern', 'light'], ['Dark Modern', 'dark'], ['Dark High Contrast', 'hc']] as const) {
      await setColorTheme(vsc.page, theme);
      await vsc.page.waitForTimeout(500); // the webview repaints after the theme variables change
      await screenshot(vsc.page, `tcp-analysis-${name}`);
    }
  });
});
