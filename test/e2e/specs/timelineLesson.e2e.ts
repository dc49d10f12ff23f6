// The socket-call timeline of a lesson, as a learner meets it: lesson 4 (sticky packets) run from the Lessons view
// records both its programs; the lesson's read-only editors show each line's last result, and the lesson's "timeline"
// item opens the run, where the server's one recv is linked to the client's three sends and to its line.
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { commandTitle, hintAfter, openFromTree, openSocketLabView, openWorkspaceFile, runCommand, screenshot, setColorTheme, terminalText, timelineHexText, treeRow, useVsCode, viewPane, waitFor } from '../harness';

const LESSON = '04 Sticky packets';

async function showView(page: Page, name: string, open: boolean): Promise<void> {
  const header = viewPane(page, name).locator('.pane-header').first();
  await header.waitFor({ timeout: 15_000 });
  if (((await header.getAttribute('aria-expanded')) === 'true') !== open) await header.click();
}

/** A Node.js program whose two writes arrive in one 'data' event (the server listens for data only after 300 ms). */
const STICKY_JS = `const net = require('net');
const srv = net.createServer((conn) => {
  setTimeout(() => {
    conn.on('data', (d) => console.log('got', String(d)));
    conn.on('end', () => { conn.end(); srv.close(); });
  }, 300);
});
srv.listen(0, '127.0.0.1', () => {
  const c = net.connect(srv.address().port, '127.0.0.1', () => {
    c.write('apple');
    c.end('banana');
  });
});
`;

describe('socket-call timeline of a lesson', function () {
  const vsc = useVsCode({ trusted: true, files: { 'sticky.js': STICKY_JS }, viewport: { width: 1600, height: 1000 }, settings: { 'terminal.integrated.gpuAcceleration': 'off' } });

  it('lesson 4 run from the Lessons view: the merged recv linked to the client\'s sends and to its line', async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    // room for the lesson's items: the other views folded
    for (const view of ['Connections', 'Captures', 'System Sockets']) await showView(page, view, false);
    await showView(page, 'Lessons', true);
    const row = treeRow(page, LESSON, 'Lessons');
    await row.waitFor({ timeout: 20_000 });
    // the learner opens the lesson (its text and programs, read-only), then runs it with the row's Run button
    await row.click();
    await page.locator('.tab', { hasText: 'server.py' }).first().waitFor({ timeout: 20_000 });
    await row.hover();
    await row.locator('.action-label[aria-label^="Run Lesson (Server and Client)"]').click();
    // the server keeps running; the client's terminal (shown last) says it ended well
    await waitFor('the client\'s end', () => terminalText(page), (t) => /send: 200000 bytes in one sendall\(\)[\s\S]*exited with code 0/.test(t), 60_000);

    // the lesson's read-only server.py shows the recv line's last result: the second connection's end
    await page.locator('.tab', { hasText: 'server.py' }).first().click();
    await page.keyboard.press('Control+G'); // the recv line is below the fold
    await page.keyboard.type('35');
    await page.keyboard.press('Enter');
    const recvHint = await waitFor('the recv line\'s hint', () => hintAfter(page, 'data = conn.recv(RECV_SIZE)'), (h) => h.includes('recv'), 30_000);
    assert.match(recvHint, /recv → b'' \(peer closed\) · \d+ calls/);
    assert.match(await hintAfter(page, 'conn, addr = server.accept()'), /accept → 127\.0\.0\.1:\d+/);

    // the lesson's "timeline" item opens the run
    if ((await row.getAttribute('aria-expanded')) !== 'true') await row.locator('.monaco-tl-twistie').click();
    const item = treeRow(page, /^The timeline: the server's one recv\(\)/, 'Lessons');
    await item.waitFor({ timeout: 15_000 });
    assert.match(await item.innerText(), /timeline/);
    const frame = await openFromTree(page, item, '.tl-app[data-ready="true"]');

    // the recv that got all three sends' bytes: its badge, its arrows from the client's sendall line, its bytes
    const badge = frame.locator('.tl-merged', { hasText: '3 sends merged' });
    await waitFor('the merged recv\'s badge', () => badge.count(), (n) => n === 1);
    const recv = await badge.getAttribute('data-for');
    const bar = frame.locator(`.tl-call[data-id="${recv}"]`);
    assert.equal(await bar.getAttribute('data-call'), 'recv');
    assert.equal(await bar.getAttribute('data-line'), '35');
    const arrows = frame.locator(`.tl-link[data-to="${recv}"]`);
    assert.equal(await arrows.count(), 3);
    const froms = await arrows.evaluateAll((ls) => ls.map((l) => l.getAttribute('data-from')));
    for (const from of froms) {
      const send = frame.locator(`.tl-call[data-id="${from}"]`);
      assert.equal(await send.getAttribute('data-call'), 'sendall');
      assert.equal(await send.getAttribute('data-line'), '27'); // client.py: sock.sendall(word)
      assert.notEqual(await send.getAttribute('data-lane'), await bar.getAttribute('data-lane'), 'the sends are on the client\'s socket');
    }
    // the three arrows fan out over the recv's bar: three lines, not one
    const ends = await arrows.evaluateAll((ls) => ls.map((l) => l.getAttribute('y2')));
    assert.equal(new Set(ends).size, 3, `arrow ends ${ends.join()}`);
    // the whole run is fitted: the 17-byte recv sits microseconds before the b'' recv that ends its connection, on
    // the same pixel; its bar keeps a part of its own and a click on it selects it, not the b'' recv
    const fitted = await frame.locator('.tl-axis text').allTextContents();
    const box = (await bar.locator('rect').boundingBox())!;
    const lane = await bar.getAttribute('data-lane');
    const xs = await frame.locator(`.tl-call[data-lane="${lane}"] rect`).evaluateAll((rs) => rs.map((r) => r.getBoundingClientRect().x));
    const x0 = await bar.locator('rect').evaluate((r) => r.getBoundingClientRect().x);
    const gap = Math.min(...xs.map((x) => x - x0).filter((d) => d > 0));
    assert.ok(gap < 12, `the next call on its socket starts ${gap} px after the recv`);
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await waitFor('the recv selected', () => frame.locator('.tl-app').getAttribute('data-selected'), (v) => v === recv);
    assert.deepEqual(await frame.locator('.tl-axis text').allTextContents(), fitted, 'still the Fit zoom');
    await waitFor('the recv\'s bytes', () => timelineHexText(frame), (s) => s === 'applebananacherry');
    const source = frame.locator('.tl-details .tl-source');
    assert.match(await source.innerText(), /server\.py:35$/);
    assert.match(await frame.locator('.tl-details').innerText(), /sent by 3 sends at client\.py:27/);
    // the keyboard: Right and Left step through the calls in time, Up or Down to the socket above or below; a
    // screen reader hears the selected call
    const plot = frame.locator('.tl-svgbox');
    const selected = () => frame.locator('.tl-app').getAttribute('data-selected');
    await plot.press('ArrowRight');
    await waitFor('the next call selected', selected, (v) => !!v && v !== recv);
    await plot.press('ArrowLeft');
    await waitFor('the recv selected again', selected, (v) => v === recv);
    assert.match(await frame.locator('.tl-live').innerText(), /^recv → 17 B · blocked .* · line 35 · (pid \d+ · )?fd \d+ · TCP · 127\.0\.0\.1:\d+ ⇄ 127\.0\.0\.1:\d+$/);
    const laneKeys = await frame.locator('.tl-lane-label').evaluateAll((ls) => ls.map((l) => (l as HTMLElement).dataset.lane));
    const recvRow = laneKeys.indexOf(lane!);
    await plot.press(recvRow > 0 ? 'ArrowUp' : 'ArrowDown');
    const other = await waitFor('a call on another socket selected', selected, (v) => !!v && v !== recv);
    const otherRow = laneKeys.indexOf((await frame.locator(`.tl-call[data-id="${other}"]`).getAttribute('data-lane'))!);
    assert.ok(recvRow > 0 ? otherRow < recvRow : otherRow > recvRow, `row ${recvRow} → ${otherRow}`);
    await bar.locator('rect').click({ force: true });
    await waitFor('the recv selected by its bar', selected, (v) => v === recv);
    // the labels show whole address pairs, and the plot keeps room for its lanes beside the open terminal
    const cut = await frame.locator('.tl-lane-ends').evaluateAll((ls) => ls.filter((l) => l.scrollWidth > l.clientWidth).map((l) => l.textContent));
    assert.deepEqual(cut, [], 'lane labels cut off');
    const room = await frame.locator('.tl-plot-body').evaluate((b) => ({ shown: b.clientHeight, drawn: b.querySelector('svg')!.clientHeight }));
    assert.ok(room.shown >= Math.min(room.drawn, 240), `plot ${room.shown} px of ${room.drawn}`);
    // zoomed out around the recv (the keyboard zooms around the selected call) until its three sends are in view too
    await waitFor('the three sends in view beside the recv', async () => {
      const box = await plot.boundingBox();
      const sends = await Promise.all(froms.map((f) => frame.locator(`.tl-call[data-id="${f}"] rect`).boundingBox().catch(() => null)));
      const inView = !!box && sends.every((b) => b && b.x >= box.x && b.x + b.width <= box.x + box.width);
      if (!inView) await plot.press('-');
      return inView;
    }, (v) => v);
    await runCommand(page, 'View: Hide Panel'); // the terminals: room for the timeline in the screenshots
    for (const [theme, name] of [['Dark Modern', 'dark'], ['Light Modern', 'light'], ['Dark High Contrast', 'hc']] as const) {
      await setColorTheme(page, theme);
      await page.waitForTimeout(500); // the webview repaints after the theme variables change
      await screenshot(page, `timeline-lesson4-${name}`);
    }

    // its line link lands on the recv line in the editor
    await source.click();
    await page.locator('.editor-group-container .tab.active', { hasText: 'server.py' }).first().waitFor({ timeout: 10_000 });
    await page.locator('.statusbar-item', { hasText: /Ln 35, Col 1/ }).first().waitFor({ timeout: 10_000 });
  });

  it('Debug File records the debugged program\'s calls too: its lines show their results', async () => {
    const page = vsc.page;
    await openWorkspaceFile(page, 'sticky.js');
    await runCommand(page, commandTitle('socketLab.file.debug')!);
    // the data listener's line: both writes' bytes in one 'data' event, linked to the two writes
    const hint = await waitFor('the data line\'s hint', () => hintAfter(page, "conn.on('data'"), (h) => h.includes('recv'), 60_000);
    assert.match(hint, /recv → 11 B 'applebanana' · 2 sends merged/);
    assert.match(await hintAfter(page, "c.write('apple')"), /send → 5 B 'apple'/);
    await screenshot(page, 'timeline-debug-file-hints');
  });
});
