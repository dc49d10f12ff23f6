// Statistics in the packet panel (issue 17): a capture real programs made on lo opens; its Statistics page lists
// the conversations tshark lists (A, B, frames each way), draws the I/O graph, one conversation's two directions,
// sorts, and "Apply as filter" shows that conversation's packets in the list. Light and dark screenshots.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { LoopbackCapture } from '../../../src/core/capture/loopbackCapture';
import { findFrame, openWorkspaceFile, runCommand, screenshot, setColorTheme, useVsCode, waitFor } from '../harness';
import { pythonPeer } from '../../support';

/** tshark's conversations of a file: "A <-> B", the total frames and the relative start as printed, TCP and UDP. */
function tsharkConversations(file: string): { a: string; b: string; frames: number; start: string }[] {
  const out = spawnSync('tshark', ['-n', '-q', '-r', file, '-z', 'conv,tcp', '-z', 'conv,udp'], { encoding: 'utf8' }).stdout;
  return [...out.matchAll(/^(\S+)\s+<->\s+(\S+)\s+\d+\s+\d+\s+\S+\s+\d+\s+\d+\s+\S+\s+(\d+)\s+\d+\s+\S+\s+([\d.]+)\s+[\d.]+\s*$/gm)].map((m) => ({ a: m[1], b: m[2], frames: Number(m[3]), start: m[4] }));
}

/** Real traffic on lo: three TCP uploads of different sizes a moment apart, a chat of 60 lines each way, and three UDP exchanges. */
async function makeCapture(file: string): Promise<string | undefined> {
  const server = await pythonPeer([
    'import socket, threading',
    't = socket.socket(); t.bind(("127.0.0.1", 0)); t.listen()',
    'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", t.getsockname()[1]))',
    'threading.Thread(target=lambda: [u.sendto(d, a) for d, a in iter(lambda: u.recvfrom(2048), None)], daemon=True).start()',
    'print(t.getsockname()[1], flush=True)',
    'while True:',
    '    c, _ = t.accept()',
    '    while True:',
    '        d = c.recv(65536)',
    '        if not d: break',
    '        if d.startswith(b"chat"): c.sendall(b"ack " + d)',
    '    c.sendall(b"ok"); c.close()',
  ]);
  try {
    const cap = await LoopbackCapture.start(file, `port ${server.port}`);
    if (typeof cap === 'string') return cap;
    const client = spawnSync('python3', ['-c', [
      'import socket, sys, time',
      'port = int(sys.argv[1])',
      'for size in (200000, 20000, 2000):',
      '    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"x" * size); s.shutdown(socket.SHUT_WR)',
      '    while s.recv(65536): pass',
      '    s.close(); time.sleep(0.2)',
      's = socket.create_connection(("127.0.0.1", port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)',
      'for i in range(60):',
      '    s.sendall(b"chat %d\\n" % i); s.recv(100)',
      's.shutdown(socket.SHUT_WR)',
      'while s.recv(65536): pass',
      's.close()',
      'for i in range(3):',
      '    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(2)',
      '    for k in range(i + 1):',
      '        u.sendto(b"d" * 100, ("127.0.0.1", port)); u.recvfrom(4096); time.sleep(0.05)',
      '    u.close()',
    ].join('\n'), String(server.port)], { encoding: 'utf8', timeout: 20_000 });
    await cap.stop();
    assert.equal(client.status, 0, client.stderr);
    return undefined;
  } finally {
    server.proc.kill();
  }
}

/** A copy of `file` whose packet block 60% of the way through the packets says it is 2 GB long. */
function writeDamagedCopy(file: string, to: string): void {
  const bytes = Buffer.from(fs.readFileSync(file));
  const blocks: number[] = [];
  for (let o = 0; o < bytes.length; o += bytes.readUInt32LE(o + 4)) if (bytes.readUInt32LE(o) === 6) blocks.push(o);
  bytes.writeUInt32LE(0x7ffffff0, blocks[Math.floor(blocks.length * 0.6)] + 4);
  fs.writeFileSync(to, bytes);
}

describe('packet panel: statistics', function () {
  const vsc = useVsCode({ trusted: true, viewport: { width: 1400, height: 900 } });
  let frame: Frame;
  let file: string;

  it('lists the conversations tshark lists, with the frames each way, and draws the I/O graph of the whole capture', async function () {
    file = path.join(vsc.vscode.workspace, 'stats.pcapng');
    const why = await makeCapture(file);
    if (why) {
      console.warn(`      skipped: ${why}`);
      return this.skip();
    }
    const theirs = tsharkConversations(file);
    writeDamagedCopy(file, path.join(vsc.vscode.workspace, 'damaged.pcapng')); // before quick open lists the folder
    assert.equal(theirs.length, 7, 'tshark sees four TCP and three UDP conversations');
    await vsc.page.locator('.activitybar [aria-label^="Socket Lab"]').first().waitFor({ timeout: 30_000 });
    await openWorkspaceFile(vsc.page, 'stats.pcapng');
    frame = await findFrame(vsc.page, '.pk-app[data-ready="true"]');
    await frame.locator('#pk-tab-statistics').click();
    await frame.locator('.pk-stats[data-ready="true"] .pk-conv-row').first().waitFor({ timeout: 20_000 });
    const rows = await frame.locator('.pk-conv-row').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    assert.equal(rows.length, theirs.length);
    for (const c of theirs) {
      const row = rows.find((r) => r[1] === c.a && r[2] === c.b);
      assert.ok(row, `${c.a} <-> ${c.b} is a row (A sent first, as in tshark): ${JSON.stringify(rows)}`);
      assert.equal(Number(row[3].replace(/\D/g, '')), c.frames, `${c.a} <-> ${c.b}: packets`);
      assert.equal(row[9], c.start, `${c.a} <-> ${c.b}: relative start as tshark prints it`);
    }
    // largest first, as tshark prints them; the whole capture's graph is one line
    assert.equal(rows[0][0], 'TCP');
    assert.equal(await frame.locator('.pk-io').getAttribute('data-series'), '1');
    assert.ok((await frame.locator('.pk-io-svg .s0').count()) > 0, 'the line (or bars) of all packets');
    assert.equal(await frame.locator('.pk-io-svg .s1').count(), 0);
    assert.equal(await frame.locator('.pk-io-whole').isVisible(), false);
  });

  it('a row shows its conversation each way; the arrow keys read out an interval; a header sorts', async function () {
    if (!frame) return this.skip();
    await frame.locator('.pk-conv-row').first().click();
    await waitFor('two lines', () => frame.locator('.pk-io').getAttribute('data-series'), (v) => v === '2');
    assert.deepEqual(await frame.locator('.pk-io-key:not(.pk-io-key-event)').allInnerTexts(), ['A → B', 'B → A']);
    assert.match(await frame.locator('.pk-io-title').innerText(), /^I\/O graph: TCP 127\.0\.0\.1:\d+ ↔ 127\.0\.0\.1:\d+$/);
    await frame.locator('.pk-io-svg').focus();
    await frame.locator('.pk-io-svg').press('End');
    assert.match(await frame.locator('.pk-io-readout').innerText(), /s · A → B: \d+ packets, [\d,]+ bytes · B → A: \d+ packets/);
    await frame.locator('.pk-io-unit').selectOption('bytes');
    await screenshot(vsc.page, 'statistics-conversation');
    // a number column sorts largest first; a second click turns it round
    const durations = async () => (await frame.locator('.pk-conv-row td:nth-child(11)').allInnerTexts()).map(Number);
    await frame.locator('.pk-conv-sort', { hasText: 'Duration' }).click();
    // the host sorts: the page shows the rows it sends back
    await waitFor('sorted by duration', () => frame.locator('th[aria-sort]').innerText(), (v) => v === 'Duration (s) ▼');
    const down = await durations();
    assert.deepEqual(down, [...down].sort((x, y) => y - x), 'sorted by duration, descending');
    assert.equal(await frame.locator('th[aria-sort]').innerText(), 'Duration (s) ▼');
    await frame.locator('.pk-conv-sort', { hasText: 'Duration' }).press('Enter');
    await waitFor('ascending', () => frame.locator('th[aria-sort]').getAttribute('aria-sort'), (v) => v === 'ascending');
    const up = await durations();
    assert.deepEqual(up, [...down].reverse(), 'then ascending');
    assert.equal(await frame.locator('th[aria-sort]').getAttribute('aria-sort'), 'ascending');
    // "Whole capture" brings back the one line
    await frame.locator('.pk-io-whole').click();
    await waitFor('one line', () => frame.locator('.pk-io').getAttribute('data-series'), (v) => v === '1');
  });

  it('the table is one Tab stop: arrow keys, Home/End and PageUp/PageDown move the selection, Enter applies the conversation as the filter', async function () {
    if (!frame) return this.skip();
    // back to bytes, largest first (the host sorts: wait for each answer)
    const sortedBy = () => frame.locator('th[aria-sort]').innerText();
    await frame.locator('.pk-conv-sort', { hasText: 'Bytes' }).first().click();
    await waitFor('sorted by bytes', sortedBy, (v) => v.startsWith('Bytes '));
    if ((await sortedBy()) !== 'Bytes ▼') await frame.locator('.pk-conv-sort', { hasText: 'Bytes' }).first().click();
    await waitFor('largest first', sortedBy, (v) => v === 'Bytes ▼');
    const stops = () => frame.locator('.pk-conv-row').evaluateAll((trs) => trs.filter((tr) => (tr as HTMLElement).tabIndex === 0).map((tr) => (tr as HTMLElement).dataset.pos));
    assert.equal((await stops()).length, 1, 'one row is the Tab stop');
    assert.equal(await frame.locator('.pk-conv-table').getAttribute('role'), 'grid');
    await frame.locator('.pk-conv-row[tabindex="0"]').focus();
    await vsc.page.keyboard.press('End');
    const count = await frame.locator('.pk-conv-row').count();
    const focused = () => frame.locator('.pk-conv-row:focus').getAttribute('data-pos');
    assert.equal(await focused(), String(count - 1));
    assert.deepEqual(await stops(), [String(count - 1)], 'the Tab stop moved with the focus');
    assert.equal(await frame.locator('.pk-conv-row[aria-selected="true"]').getAttribute('data-pos'), String(count - 1));
    await vsc.page.keyboard.press('Home');
    assert.equal(await focused(), '0');
    await vsc.page.keyboard.press('ArrowDown');
    await vsc.page.keyboard.press('ArrowDown');
    assert.equal(await focused(), '2');
    await vsc.page.keyboard.press('PageDown');
    assert.equal(await focused(), String(count - 1), 'PageDown stops at the last row');
    await vsc.page.keyboard.press('PageUp');
    assert.equal(await focused(), String(Math.max(0, count - 11)));
    await vsc.page.keyboard.press('ArrowUp');
    await waitFor('the graph of the selected row', () => frame.locator('.pk-io').getAttribute('data-series'), (v) => v === '2');
    const packets = Number((await frame.locator('.pk-conv-row:focus td').nth(3).innerText()).replace(/\D/g, ''));
    await vsc.page.keyboard.press('Enter');
    await waitFor('the packets page', () => frame.locator('.pk-app').getAttribute('data-page'), (v) => v === 'packets');
    assert.match(await frame.locator('.pk-filter-input').inputValue(), /^(tcp|udp)\.stream == \d+$/);
    await waitFor('the conversation\'s packets', () => frame.locator('.pk-app').getAttribute('data-matched'), (v) => Number(v) === packets);
    await frame.locator('#pk-tab-statistics').click();
  });

  it('the search box finds conversations by address or port among all of them; the header stays opaque over the rows', async function () {
    if (!frame) return this.skip();
    const port = spawnSync('tshark', ['-n', '-r', file, '-Y', 'tcp contains "chat 0"', '-T', 'fields', '-e', 'tcp.srcport'], { encoding: 'utf8' }).stdout.split('\n')[0].trim();
    await frame.locator('.pk-conv-search').fill(`:${port}`);
    await waitFor('one match', () => frame.locator('.pk-conv-row').count(), (n) => n === 1);
    assert.match(await frame.locator('.pk-conv-range').innerText(), /^1–1 of 1 matching \(of 7\)$/);
    assert.match(await frame.locator('.pk-conv-row td').nth(1).innerText(), new RegExp(`:${port}$`));
    await frame.locator('.pk-conv-search').fill('no such address');
    await waitFor('no match', () => frame.locator('.pk-conv-row').count(), (n) => n === 0);
    assert.match(await frame.locator('.pk-conv-note').innerText(), /No conversation matches "no such address"\./);
    await frame.locator('.pk-conv-search').fill('');
    await waitFor('all rows', () => frame.locator('.pk-conv-row').count(), (n) => n === 7);
    // the sticky header paints the page's background under its tint: nothing shows through
    const bg = await frame.locator('.pk-conv-table th').first().evaluate((th) => getComputedStyle(th).backgroundColor);
    const alpha = /rgba\([^)]*,\s*([\d.]+)\)/.exec(bg)?.[1];
    assert.ok(bg.startsWith('rgb(') || (alpha !== undefined && Number(alpha) === 1), `an opaque header background: ${bg}`);
  });

  it('the I/O graph\'s interval is picked (auto or 1 ms … 10 s that fit), and TCP analysis events are counted as tshark counts them', async function () {
    if (!frame) return this.skip();
    await frame.locator('.pk-io-whole').click().catch(() => undefined);
    await waitFor('one line', () => frame.locator('.pk-io').getAttribute('data-series'), (v) => v === '1');
    const options = await frame.locator('.pk-io-interval option').evaluateAll((os) => os.map((o) => [(o as HTMLOptionElement).value, (o as HTMLOptionElement).disabled]));
    assert.deepEqual(options.map(([v]) => v), ['', '1', '2', '5', '10', '20', '50', '100', '200', '500', '1000', '2000', '5000', '10000']);
    await frame.locator('.pk-io-interval').selectOption('10');
    await waitFor('10 ms bins', () => frame.locator('.pk-io').getAttribute('data-interval'), (v) => v === '10');
    await frame.locator('.pk-io-interval').selectOption('1000');
    await waitFor('1 s bins', () => frame.locator('.pk-io').getAttribute('data-interval'), (v) => v === '1000');
    const flagged = spawnSync('tshark', ['-n', '-r', file, '-Y', 'tcp.analysis.flags'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;
    assert.equal(Number(await frame.locator('.pk-io').getAttribute('data-events')), flagged, 'packets with tcp.analysis.flags, as tshark finds them');
    assert.equal(await frame.locator('.pk-io-event').count() > 0, flagged > 0, 'marked on the graph');
    await frame.locator('.pk-io-interval').selectOption('');
  });

  it('"Apply as filter" on a UDP row shows its packets in the list, and the filter bar says which', async function () {
    if (!frame) return this.skip();
    const udp = frame.locator('.pk-conv-row', { hasText: 'UDP' }).first();
    const packets = Number((await udp.locator('td').nth(3).innerText()).replace(/\D/g, ''));
    await udp.click();
    await frame.locator('.pk-conv-filter:not([disabled])').click();
    await waitFor('the packets page', () => frame.locator('.pk-app').getAttribute('data-page'), (v) => v === 'packets');
    assert.match(await frame.locator('.pk-filter-input').inputValue(), /^udp\.stream == \d+$/);
    await waitFor('the conversation\'s packets', () => frame.locator('.pk-app').getAttribute('data-matched'), (v) => Number(v) === packets);
    const expr = await frame.locator('.pk-filter-input').inputValue();
    const count = spawnSync('tshark', ['-n', '-r', file, '-Y', expr], { encoding: 'utf8' }).stdout.trim().split('\n').length;
    assert.equal(packets, count, `tshark -Y '${expr}' keeps as many`);
  });

  it('Follow stream from the table shows the connection\'s payload both ways, as tshark follows it; a chunk\'s frame link shows its packet', async function () {
    if (!frame) return this.skip();
    await frame.locator('#pk-tab-statistics').click();
    // the 20,000-byte upload (its client port, from tshark)
    const sent = new Map<string, number>();
    for (const line of spawnSync('tshark', ['-n', '-r', file, '-Y', 'tcp.len > 0', '-T', 'fields', '-e', 'tcp.srcport', '-e', 'tcp.len'], { encoding: 'utf8' }).stdout.split('\n')) {
      const [port, len] = line.split('\t');
      if (len) sent.set(port, (sent.get(port) ?? 0) + Number(len));
    }
    const port = [...sent].find(([, n]) => n === 20000)?.[0];
    assert.ok(port, 'tshark finds the 20,000-byte upload');
    const row = frame.locator('.pk-conv-row', { hasText: `:${port}` }).first();
    await row.click();
    await frame.locator('.pk-conv-follow:not([disabled])').click();
    await frame.locator('.pk-follow[data-ready="true"] .chunk').first().waitFor({ timeout: 20_000 });
    assert.equal(await frame.locator('.pk-app').getAttribute('data-page'), 'follow');
    const stream = Number(/stream (\d+)/.exec(await frame.locator('.pk-follow-title').innerText())![1]);
    // tshark's raw follow of the same stream: one hex line per chunk, B's indented by a tab
    const raw = spawnSync('tshark', ['-n', '-q', '-r', file, '-z', `follow,tcp,raw,${stream}`], { encoding: 'utf8' }).stdout;
    const theirs = raw.split('\n').filter((l) => /^\t?[0-9a-f]+$/.test(l)).map((l) => ({ dir: l.startsWith('\t') ? 'in' : 'out', bytes: l.trim().length / 2 }));
    const ours = await frame.locator('.pk-follow .chunk').evaluateAll((els) => els.map((e) => ({ dir: e.classList.contains('out') ? 'out' : 'in', bytes: Number(/\d+/.exec(e.querySelector('.chunk-size')?.textContent ?? '')![0]) })));
    assert.deepEqual(ours, theirs, 'the same chunks, directions and sizes as tshark -z follow,tcp,raw');
    assert.match(await frame.locator('.pk-follow-summary').innerText(), /A → B: 20,000 bytes · B → A: 2 bytes/);
    assert.equal(await frame.locator('.pk-follow .chunk.out .chunk-dir').first().innerText(), 'A → B');
    await screenshot(vsc.page, 'follow-stream');
    // the last chunk (B's "ok") links back to its packet
    const link = frame.locator('.pk-follow .chunk.in .chunk-frame').last();
    const no = Number(/\d+/.exec(await link.innerText())![0]);
    await link.click();
    await waitFor('the packets page with that packet', () => frame.locator('.pk-app').getAttribute('data-selected'), (v) => Number(v) === no);
    assert.equal(await frame.locator('.pk-app').getAttribute('data-page'), 'packets');
  });

  it('a long stream opens at its beginning, not scrolled down as a live session is', async function () {
    if (!frame) return this.skip();
    const port = spawnSync('tshark', ['-n', '-r', file, '-Y', 'tcp contains "chat 0"', '-T', 'fields', '-e', 'tcp.srcport'], { encoding: 'utf8' }).stdout.split('\n')[0].trim(); // the first is the client's line
    assert.match(port, /^\d+$/, 'tshark finds the chat');
    await frame.locator('#pk-tab-statistics').click();
    await frame.locator('.pk-conv-row', { hasText: `:${port}` }).first().click();
    await frame.locator('.pk-conv-follow:not([disabled])').click();
    await frame.locator('.pk-follow[data-ready="true"] .chunk').first().waitFor({ timeout: 20_000 });
    const view = await frame.locator('.pk-follow .conv-list').evaluate((list) => {
      const first = list.querySelector('.chunk') as HTMLElement;
      const l = list.getBoundingClientRect();
      const f = first.getBoundingClientRect();
      return { scrollTop: list.scrollTop, overflows: list.scrollHeight > list.clientHeight, firstSeq: first.dataset.seq, firstVisible: f.top >= l.top && f.top < l.bottom, chunks: list.querySelectorAll('.chunk').length };
    });
    assert.equal(view.chunks, 121, '60 lines, 60 answers and the "ok"');
    assert.ok(view.overflows, 'the stream is longer than the pane');
    assert.equal(view.firstSeq, '0');
    assert.equal(view.scrollTop, 0, 'not scrolled');
    assert.ok(view.firstVisible, 'the first chunk is in view');
    assert.match(await frame.locator('.pk-follow .chunk').first().innerText(), /chat 0/);
    await screenshot(vsc.page, 'follow-long-stream-start');
    await frame.locator('#pk-tab-packets').click();
  });

  it('Follow stream from a UDP packet in the list (the filter bar\'s button)', async function () {
    if (!frame) return this.skip();
    await frame.locator('.pk-filter-input').fill('udp');
    await frame.locator('.pk-filter-input').press('Enter');
    // a row of the new list, not a stale TCP row of the one before
    const row = frame.locator('.pk-row[data-index]').first();
    await waitFor('the UDP rows', () => row.getAttribute('data-tone'), (v) => v === 'udp');
    await row.click();
    await frame.locator('.pk-follow-button:not([disabled])').click();
    await frame.locator('.pk-follow[data-ready="true"] .chunk').first().waitFor({ timeout: 20_000 });
    assert.match(await frame.locator('.pk-follow-title').innerText(), /^Follow UDP stream \d+: /);
    const sizes = await frame.locator('.pk-follow .chunk .chunk-size').allInnerTexts();
    assert.ok(sizes.length >= 2 && sizes.every((x) => x === '100 bytes'), `datagrams of 100 bytes each way: ${sizes}`);
  });

  it('Follow Stream from a row\'s context menu (VS Code\'s own menu over the webview)', async function () {
    if (!frame) return this.skip();
    await frame.locator('#pk-tab-packets').click();
    await frame.locator('.pk-filter-input').fill('tcp.len > 0');
    await frame.locator('.pk-filter-input').press('Enter');
    const row = frame.locator('.pk-row[data-index]').first();
    // the list of the 'udp' filter before it is replaced, not a stale row of it
    await waitFor('the TCP rows', () => row.getAttribute('data-tone'), (v) => v !== null && v !== 'udp' && v !== 'wait');
    await row.click({ button: 'right' });
    const item = vsc.page.locator('.context-view .action-label', { hasText: 'Follow Stream' }).first();
    await item.waitFor({ timeout: 10_000 });
    await vsc.page.waitForTimeout(300); // a menu ignores clicks in its first moments (the right-click's mouseup)
    await item.click();
    await frame.locator('.pk-follow[data-ready="true"] .chunk').first().waitFor({ timeout: 20_000 });
    assert.match(await frame.locator('.pk-follow-title').innerText(), /^Follow TCP stream \d+: /);
  });

  it('looks native in the light and the dark theme', async function () {
    if (!frame) return this.skip();
    await frame.locator('#pk-tab-statistics').click();
    await frame.locator('.pk-conv-row').first().click();
    await waitFor('two lines', () => frame.locator('.pk-io').getAttribute('data-series'), (v) => v === '2');
    for (const [theme, name] of [['Light Modern', 'light'], ['Dark Modern', 'dark'], ['Dark High Contrast', 'hc']] as const) {
      await setColorTheme(vsc.page, theme);
      await vsc.page.waitForTimeout(500); // the webview repaints after the theme variables change
      await screenshot(vsc.page, `statistics-${name}`);
    }
    await frame.locator('#pk-tab-follow').click();
    for (const [theme, name] of [['Light Modern', 'light'], ['Dark Modern', 'dark']] as const) {
      await setColorTheme(vsc.page, theme);
      await vsc.page.waitForTimeout(500);
      await screenshot(vsc.page, `follow-${name}`);
    }
    await runCommand(vsc.page, 'View: Close All Editors');
  });

  it('a file damaged in the middle shows every packet before the damage, as tshark does, and says so in one sentence', async function () {
    if (!file) return this.skip();
    const damaged = path.join(vsc.vscode.workspace, 'damaged.pcapng');
    const theirs = spawnSync('tshark', ['-n', '-r', damaged], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;
    assert.ok(theirs > 32, `tshark reads ${theirs} packets`);
    await openWorkspaceFile(vsc.page, 'damaged.pcapng');
    const f = await findFrame(vsc.page, '.pk-app[data-ready="true"]');
    await waitFor('the damage sentence', () => f.locator('.pk-damage').innerText(), (v) => v.length > 0);
    assert.equal(Number(await f.locator('.pk-app').getAttribute('data-total')), theirs);
    assert.match(await f.locator('.pk-damage').innerText(), new RegExp(`^This file is damaged after packet ${theirs}: the ${theirs} packets before it are shown, as Wireshark shows them \\(.*\\)$`));
    await f.locator('#pk-tab-statistics').click();
    await f.locator('.pk-stats[data-ready="true"] .pk-conv-row').first().waitFor({ timeout: 20_000 });
    const packets = await f.locator('.pk-conv-row td:nth-child(4)').allInnerTexts();
    assert.equal(packets.reduce((n, x) => n + Number(x.replace(/\D/g, '')), 0), theirs, 'the statistics count them all');
    await screenshot(vsc.page, 'damaged-file');
    await runCommand(vsc.page, 'View: Close All Editors');
  });
});
