// The socket-call timeline in a real VS Code: Run File on a Python program whose two sendall()s arrive in one recv();
// the recv line's hover opens the timeline at that recv: a lane per socket, the two sends' arrows ending in the recv,
// its bytes 'applebanana' in the hex pane; clicking another call shows its bytes; light, dark and high contrast.
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { commandTitle, findFrame, timelineHexText, openWorkspaceFile, runCommand, screenshot, setColorTheme, useVsCode, waitFor, waitForNotification } from '../harness';
import { STICKY_PY as sticky } from '../../fixtures/trace/sticky';

/** Hovers the recv line until its hover lists the line's calls (they arrive as the program runs), then clicks "Open in timeline". */
async function openFromRecvHover(page: Page): Promise<void> {
  const recvLine = page.locator('.view-line', { hasText: 'data = conn.recv(1024)' }).first();
  const hover = page.locator('.monaco-hover:visible', { hasText: 'Socket calls from this line' });
  await waitFor('the recv line\'s hover', async () => {
    await page.mouse.move(5, 5);
    await recvLine.hover();
    return hover.waitFor({ timeout: 2_000 }).then(() => true, () => false);
  }, (shown) => shown, 30_000);
  await hover.locator('a', { hasText: 'Open in timeline' }).click();
}

describe('socket-call timeline', function () {
  const vsc = useVsCode({ trusted: true, files: { 'sticky.py': sticky, 'quiet.py': 'print("no sockets here")\n' }, viewport: { width: 1500, height: 900 } });

  it('opens from the recv line\'s hover at that recv: lanes, two arrows into it, its bytes; a click selects another call', async () => {
    const page = vsc.page;
    await openWorkspaceFile(page, 'sticky.py');
    await runCommand(page, commandTitle('socketLab.file.run')!);
    await openFromRecvHover(page);
    const frame = await findFrame(page, '.tl-app[data-ready="true"]');

    // a lane per socket: the client's and the accepted one (even when the accepted one got the closed client's fd number)
    const laneTitles = () => frame.locator('.tl-lane-label').evaluateAll((ls) => ls.map((l) => (l as HTMLElement).title));
    const tcp = (ls: string[]) => ls.filter((l) => / · TCP · 127\.0\.0\.1:\d+ ⇄ 127\.0\.0\.1:\d+$/.test(l));
    const labels = await waitFor('two TCP lanes, client and accepted', laneTitles, (ls) => tcp(ls).length === 2);
    assert.ok(labels.some((l) => /listening/.test(l)), labels.join('\n'));
    // the hover's line is the recv: it is selected, with its bytes and details
    const selected = await waitFor('the selected call', () => frame.locator('.tl-app').getAttribute('data-selected'), (v) => !!v);
    assert.equal(await frame.locator(`.tl-call[data-id="${selected}"]`).getAttribute('data-call'), 'recv');
    await waitFor('the recv\'s bytes', () => timelineHexText(frame), (s) => s === 'applebanana');
    assert.match(await frame.locator('.tl-details').innerText(), /sticky\.py:8/);
    // both sends' arrows end in that recv, each starting at a sendall on the client's lane
    const arrows = frame.locator(`.tl-link[data-to="${selected}"]`);
    await waitFor('arrows into the recv', () => arrows.count(), (n) => n === 2);
    assert.equal(await frame.locator(`.tl-merged[data-for="${selected}"]`).textContent(), '2 sends merged');
    for (const from of await arrows.evaluateAll((ls) => ls.map((l) => l.getAttribute('data-from')))) {
      assert.equal(await frame.locator(`.tl-call[data-id="${from}"]`).getAttribute('data-call'), 'sendall');
    }

    // the details link to the second send shows its bytes; a click on the recv's bar shows the recv's again
    const send2 = await frame.locator('.tl-call[data-call="sendall"][data-line="15"]').getAttribute('data-id');
    await frame.locator('.tl-link-call', { hasText: `#${send2}` }).click();
    await waitFor('the second send\'s bytes', () => timelineHexText(frame), (s) => s === 'banana');
    assert.equal(await frame.locator('.tl-app').getAttribute('data-selected'), send2);
    await frame.locator(`.tl-call[data-id="${selected}"] rect`).click();
    await waitFor('the recv\'s bytes again', () => timelineHexText(frame), (s) => s === 'applebanana');

    // the details' file:line opens the editor at that line
    await frame.locator('.tl-source').click();
    await page.locator('.statusbar-item', { hasText: /Ln 8, Col 1/ }).first().waitFor({ timeout: 10_000 });

    for (const [theme, name] of [['Light Modern', 'light'], ['Dark Modern', 'dark'], ['Dark High Contrast', 'hc']] as const) {
      await setColorTheme(page, theme);
      await page.waitForTimeout(500); // the webview repaints after the theme variables change
      await screenshot(page, `timeline-${name}`);
    }
  });

  it('the palette command shows the active file\'s latest run; the call filter keeps only that call', async () => {
    const page = vsc.page;
    await openWorkspaceFile(page, 'sticky.py');
    await runCommand(page, commandTitle('socketLab.timeline.show')!);
    const frame = await findFrame(page, '.tl-app[data-ready="true"]');
    await frame.locator('.tl-svgbox').press('0'); // the whole run (the panel kept the first test's view)
    await waitFor('bars', () => frame.locator('.tl-call').count(), (n) => n > 5);
    // the keyboard zooms: + halves the span, so the axis's tick step shrinks; 0 fits the run again
    const axis = () => frame.locator('.tl-axis text').allTextContents();
    const fitted = await axis();
    await frame.locator('.tl-svgbox').press('+');
    await frame.locator('.tl-svgbox').press('+');
    await waitFor('a zoomed axis', axis, (a) => a.join() !== fitted.join());
    await frame.locator('.tl-svgbox').press('0');
    await waitFor('the fitted axis again', axis, (a) => a.join() === fitted.join());
    await frame.locator('.tl-call-filter').click();
    await frame.locator('.tl-call-filter [role="option"]').filter({ hasText: /^\s*recv\s*$/ }).first().click();
    await waitFor('only recv bars', () => frame.locator('.tl-call').evaluateAll((gs) => [...new Set(gs.map((g) => g.getAttribute('data-call')))]), (v) => v.length === 1 && v[0] === 'recv');
  });

  it('a new run of the file: the hover link shows that run (the panel starts over on it) at its recv', async () => {
    const page = vsc.page;
    const frame = await findFrame(page, '.tl-app[data-ready="true"]');
    const listener = () => frame.locator('.tl-lane-label.tl-kind-listener').first().getAttribute('title');
    const before = await listener();
    await page.keyboard.press('Control+1'); // back to sticky.py's editor (the timeline stays beside it)
    await runCommand(page, commandTitle('socketLab.file.run')!);
    // the hover shows the new run once its records came (until then its link shows the old one again): the new run
    // listens on another port
    await waitFor('the new run in the timeline', async () => {
      await openFromRecvHover(page);
      await page.waitForTimeout(500);
      return listener();
    }, (l) => l !== before, 30_000);
    // a link clicked before the new run reached its recv switched runs with nothing to select (the page started over
    // and shows the run so far); clicked again once the recv is recorded, it selects that recv
    const selected = await waitFor('the selected call', async () => {
      const id = await frame.locator('.tl-app').getAttribute('data-selected');
      if (!id) await openFromRecvHover(page).then(() => page.waitForTimeout(500));
      return id;
    }, (v) => !!v, 30_000);
    assert.equal(await frame.locator(`.tl-call[data-id="${selected}"]`).getAttribute('data-call'), 'recv');
    await waitFor('the recv\'s bytes', () => timelineHexText(frame), (s) => s === 'applebanana');
    await waitFor('all calls shown again (the call filter started over)', () => frame.locator('.tl-call[data-call="sendall"]').count(), (n) => n === 2);
  });

  it('a run that made no socket call: Show Timeline says so instead of showing another run or "run a file first"', async () => {
    const page = vsc.page;
    await openWorkspaceFile(page, 'quiet.py');
    await runCommand(page, commandTitle('socketLab.file.run')!);
    await openWorkspaceFile(page, 'quiet.py'); // the run's terminal took the focus
    // the run is known from its start; until then the command speaks of the earlier run
    await waitFor('the no-calls sentence', async () => {
      await runCommand(page, commandTitle('socketLab.timeline.show')!);
      return waitForNotification(page, /The last run of quiet\.py made no socket call: there is nothing to show on the timeline\./, 3_000).then(() => true, () => false);
    }, (shown) => shown, 30_000);
  });
});
