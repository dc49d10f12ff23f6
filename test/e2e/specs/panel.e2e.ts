// The session panel in a real VS Code: a Socket Lab TCP client talks to a plain Node server run by
// this test; the panel sends text and hex, shows both in the conversation and the hex rows, decodes
// gbk, inspects a selection, and refuses bad hex without sending. Screenshots: dark and light theme.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { answerInputBox, contributedCommand, editorTab, findFrame, mediaDir, openFromTree, openSocketLabView, runCommand, screenshot, setColorTheme, treeRow, useVsCode, waitFor } from '../harness';

/** A real peer: records what it receives and can answer. */
function peerServer(): Promise<{ port: number; received: () => Buffer; send: (b: Uint8Array) => void; close: () => void }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => {
      sockets.push(s);
      s.on('data', (d) => chunks.push(d));
      s.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        received: () => Buffer.concat(chunks),
        send: (b) => sockets[0]?.write(b),
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      });
    });
  });
}

/** Picks `label` in a vscode-single-select by clicking it open and clicking the option, like a user. */
async function choose(frame: Frame, selectClass: string, label: string, value: string): Promise<void> {
  await frame.locator(`.${selectClass}`).click();
  await frame.locator(`.${selectClass} [role="option"]`).filter({ hasText: label }).first().click();
  await frame.waitForFunction(([c, v]) => (document.querySelector(`.${c}`) as HTMLElement & { value: string }).value === v, [selectClass, value]);
}

async function typeAndSend(frame: Frame, text: string): Promise<void> {
  const input = frame.locator('.send-input input');
  await input.fill(text);
  await input.press('Enter');
}

const chunkTexts = (frame: Frame) => frame.locator('.conv-list .chunk .chunk-body').allInnerTexts();
/** Each visible hex row as "offset  hex bytes separated by spaces". */
const hexRowsText = (frame: Frame) =>
  frame.locator('.hex-row:not([hidden])').evaluateAll((rows) =>
    rows.map((r) => `${r.querySelector('.hex-off')?.textContent ?? ''}  ${[...r.querySelectorAll('.hb')].map((b) => b.textContent?.trim()).filter(Boolean).join(' ')}`),
  );

describe('session panel', function () {
  const vsc = useVsCode({ trusted: true, settings: { 'workbench.colorTheme': 'Default Dark Modern' }, viewport: { width: 1400, height: 900 } });
  let peer: Awaited<ReturnType<typeof peerServer>>;

  before(async function () {
    if (!contributedCommand('socketLab.session.openPanel') || !contributedCommand('socketLab.tcp.connect')) this.skip();
    peer = await peerServer();
  });
  after(() => peer?.close());

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log((this.consoleLines as string[] | undefined)?.filter((l) => /socket-lab|Socket Lab|error|activat/i.test(l)).slice(-40).join('\n'));
  });

  it('opens from the tree, sends text and hex, shows them as chunks and hex rows, decodes gbk, inspects, refuses bad hex', async function () {
    const page: Page = vsc.page;
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    this.consoleLines = consoleLines;
    await openSocketLabView(page);
    await runCommand(page, 'Socket Lab: Connect TCP Client');
    await answerInputBox(page, `127.0.0.1:${peer.port}`);
    // click the row once it settled as open (as a user does), not in the moment it changes from connecting
    const row = treeRow(page, new RegExp(`127\\.0\\.0\\.1:${peer.port}\\s*open`), 'Connections');
    const frame = await openFromTree(page, row, 'body[data-view="session"] .send-input');
    await frame.locator('body[data-ready="true"]').waitFor({ timeout: 20_000 });

    // "hello" as text
    await typeAndSend(frame, 'hello');
    await waitFor('conversation after hello', () => chunkTexts(frame), (t) => t.includes('hello'));

    // e5 b9 b4 as hex
    await choose(frame, 'send-mode', 'Hex', 'hex');
    await typeAndSend(frame, 'e5 b9 b4');
    await waitFor('conversation after hex', () => chunkTexts(frame), (t) => t.includes('年'));
    const hexRows = await waitFor('hex rows', () => hexRowsText(frame), (rows) => rows.join('\n').replace(/\s+/g, ' ').includes('68 65 6c 6c 6f e5 b9 b4'));
    assert.match(hexRows[0], /^0{8}/, 'the first row starts at offset 0');
    await waitFor('peer received', async () => peer.received().toString('hex'), (h) => h === Buffer.from('hello年').toString('hex'));

    // bad hex: marked in place, nothing sent
    const input = frame.locator('.send-input input');
    await input.fill('48 6z');
    const error = await waitFor('hex error', () => frame.locator('.send-error').innerText(), (t) => t.length > 0);
    assert.match(error, /6z|"z"|z/, error);
    assert.match(error, /position 5|character 5|第 5/, error);
    await input.press('Enter');
    await page.waitForTimeout(800);
    assert.equal(peer.received().toString('hex'), Buffer.from('hello年').toString('hex'), 'bad hex sends nothing');
    assert.equal((await chunkTexts(frame)).length, 2, 'no third chunk');

    // the peer answers c4 ea: undecodable in utf-8 (shown as escapes), 年 in gbk
    peer.send(Uint8Array.from([0xc4, 0xea]));
    const before = await waitFor('received chunk', () => chunkTexts(frame), (t) => t.length === 3);
    assert.equal(before[2].trim(), '\\xc4\\xea');
    assert.equal(await frame.locator('.conv-list .chunk.in .chunk-dir').first().innerText(), '← received');
    await choose(frame, 'conv-encoding', 'gbk', 'gbk');
    await waitFor('gbk chunk', () => chunkTexts(frame), (t) => t.length === 3 && t[2].trim() === '年');

    // select e5 b9 b4 (offsets 5..7) in the hex rows: the inspector decodes it
    await frame.locator('.hex-row').first().locator('.hb[data-c="5"]').click();
    await frame.locator('.hex-row').first().locator('.hb[data-c="7"]').click({ modifiers: ['Shift'] });
    const utf8 = await waitFor('inspector', () => frame.locator('.hex-inspector tr[data-id="utf8"] td').first().innerText(), (t) => t.length > 0);
    assert.equal(utf8, '"年"');
    const int16 = await frame.locator('.hex-inspector tr[data-id="uint16"] td').allInnerTexts();
    assert.deepEqual(int16, [String(0xb9e5), String(0xe5b9)]);
    assert.match(await frame.locator('.hex-message').innerText(), /Offset 5 .*3 bytes selected/);
    assert.equal(await frame.locator('.hex-txt .hc.sel').count(), 3, 'selection is mirrored in the text column');

    // hidden and shown again, the webview is rebuilt (retainContextWhenHidden: false): state and transcript come back
    await runCommand(page, 'File: New Untitled Text File');
    await page.locator('.tabs-container .tab').filter({ hasText: `Session 127.0.0.1:${peer.port}` }).first().click();
    const again = await findFrame(page, 'body[data-view="session"][data-ready="true"] .send-input');
    assert.equal(await again.locator('.conv-encoding').evaluate((e) => (e as HTMLElement & { value: string }).value), 'gbk');
    await waitFor('chunks after reopen', () => chunkTexts(again), (t) => t.length === 3 && t[2].trim() === '年');
    await waitFor('selection after reopen', () => again.locator('.hex-txt .hc.sel').count(), (n) => n === 3);
    await waitFor('draft and its error after reopen', () => again.locator('.send-error').innerText(), (t) => /position 5/.test(t));

    await screenshot(page, 'panel-dark');
    fs.mkdirSync(mediaDir, { recursive: true });
    await page.screenshot({ path: path.join(mediaDir, 'session-panel-dark.png') });
    await runCommand(page, 'Preferences: Color Theme');
    await answerInputBox(page, 'Light Modern');
    await page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs'), undefined, { timeout: 20_000 });
    await page.waitForTimeout(1000);
    await page.screenshot({ path: path.join(mediaDir, 'session-panel-light.png') });
  });

  it('the hex pane goes to an offset, refuses one out of range, finds text and copies the match', async () => {
    const page: Page = vsc.page;
    await page.setViewportSize({ width: 1400, height: 900 });
    const frame = await findFrame(page, `body[data-view="session"][data-controls="attached"]:has(.session-label:text-is("127.0.0.1:${peer.port}")) .hex-goto`);
    const message = () => frame.locator('.hex-message').innerText();
    const goTo = frame.locator('.hex-goto input');
    await goTo.fill('0x1');
    await goTo.press('Enter');
    await waitFor('go to 0x1', message, (m) => m.startsWith('Offset 1 (0x1)'));
    await goTo.fill('999');
    await goTo.press('Enter');
    await waitFor('out of range', message, (m) => /Offset out of range: the held bytes are 0–9\./.test(m));
    const find = frame.locator('.hex-find input'); // after the selection (offset 1)
    await find.fill('llo');
    await find.press('Enter');
    await waitFor('found', message, (m) => m === 'Found at offset 2.');
    assert.equal(await frame.locator('.hex-row .hb.sel').count(), 3, 'the match is selected');
    await frame.locator('.hex-copy').click();
    await waitFor('copied', message, (m) => m === 'Copied 3 bytes.');
    await frame.locator('.hex-find-next').click();
    await waitFor('the search wrapping to the start', message, (m) => m === 'Found at offset 2, from the start again.');
    await frame.locator('.hex-find input').fill('nowhere');
    await frame.locator('.hex-find-next').click();
    await waitFor('no match at all', message, (m) => m === 'Not found.');
    await goTo.fill('zz');
    await goTo.press('Enter');
    await waitFor('not a number', message, (m) => m === 'Not an offset: type a number such as 0x1f or 31.');
  });

  it('opens a session\'s panel by itself when it first receives data', async () => {
    const page: Page = vsc.page;
    const greeter = net.createServer((c) => {
      c.on('error', () => undefined);
      c.end('welcome\r\n');
    });
    await new Promise<void>((r) => greeter.listen(0, '127.0.0.1', r));
    const port = (greeter.address() as net.AddressInfo).port;
    try {
      await runCommand(page, 'Socket Lab: Connect TCP Client');
      await answerInputBox(page, `127.0.0.1:${port}`); // typed, although the first test's target is suggested
      await page.locator('.tabs-container .tab').filter({ hasText: `Session 127.0.0.1:${port}` }).first().waitFor({ timeout: 20_000 });
      // this session's frame, not the first test's (it can still be around, since auto-open keeps the focus)
      const frame = await findFrame(page, 'body[data-view="session"][data-ready="true"] .chunk.in .chunk-body:has-text("welcome")');
      const body = await frame.locator('.chunk.in .chunk-body').first().innerText();
      assert.equal(body.replace(/\n/g, ''), 'welcome\\r\\n', 'CR LF shown as visible escapes');
      // the greeter's FIN is an event after the greeting, with what it means for recv()
      const fin = frame.locator('.chunk.in + .conv-event.half-closed-by-peer .conv-event-text');
      await fin.waitFor({ timeout: 10_000 });
      assert.match(await fin.innerText(), /FIN received/);
    } finally {
      greeter.close();
    }
  });
  it('shows connect and reset as events between the chunks, and a reset client reconnects from its panel', async () => {
    const page: Page = vsc.page;
    // each connection: a greeting, then a reset after the client's first message
    let connections = 0;
    const peerSrv = net.createServer((c) => {
      connections++;
      c.on('error', () => undefined);
      c.write('hi\n');
      c.once('data', () => setTimeout(() => c.resetAndDestroy(), 300));
    });
    await new Promise<void>((r) => peerSrv.listen(0, '127.0.0.1', r));
    const port = (peerSrv.address() as net.AddressInfo).port;
    try {
      await runCommand(page, 'Socket Lab: Connect TCP Client');
      await answerInputBox(page, `127.0.0.1:${port}`);
      const frame = await findFrame(page, `body[data-view="session"][data-ready="true"]:has(.session-label:text-is("127.0.0.1:${port}")) .chunk.in`);
      await typeAndSend(frame, 'bye');
      const items = () => frame.locator('.conv-list > *').evaluateAll((els) => els.map((e) => (e.classList.contains('conv-event') ? `[${e.querySelector('.conv-event-text')?.textContent}]` : (e.querySelector('.chunk-body')?.textContent ?? ''))));
      const seen = await waitFor('events between the chunks', items, (l) => l.some((x) => x.startsWith('[Reset by the peer')));
      assert.deepEqual(
        seen.map((x) => x.replace(/\s+/g, ' ').trim()),
        [
          `[Connecting to 127.0.0.1:${port}…]`,
          '[Connected]',
          'hi\\n',
          'bye',
          '[Reset by the peer (RST, ECONNRESET): unread or unsent bytes are lost]',
        ],
      );
      assert.match(await frame.locator('.conv-event').first().locator('.chunk-time').innerText(), /^\d\d:\d\d:\d\d\.\d{3}$/, 'each event has its time');
      assert.equal(await frame.locator('.session-state').innerText(), 'failed');
      await screenshot(page, 'panel-events');
      // the closed client's banner offers Reconnect: a second connection, in its own panel
      await frame.locator('.session-reconnect').click();
      await waitFor('second connection', async () => connections, (n) => n === 2);
      const tabs = page.locator('.tabs-container .tab').filter({ hasText: `Session 127.0.0.1:${port}` });
      await waitFor('a second panel', () => tabs.count(), (n) => n === 2);
    } finally {
      peerSrv.close();
    }
  });

  it('fits real widths: hex rows, text column, dropdowns and inspector at 900 and 1400 px, alone and beside an editor, in light, dark and high contrast', async function () {
    this.timeout(300_000);
    const page: Page = vsc.page;
    const sessionTab = editorTab(page, `Session 127.0.0.1:${peer.port}`);
    const frameOf = () => findFrame(page, 'body[data-view="session"][data-ready="true"] .conv-list .chunk.out');
    /** How the panel sits in its webview: every number should be <= 0 (nothing sticks out). */
    const measure = (frame: Frame) =>
      frame.evaluate(() => {
        const vw = document.documentElement.clientWidth;
        const vh = document.documentElement.clientHeight;
        const rowsBox = document.querySelector('.hex-rows')!.getBoundingClientRect();
        const rows = [...document.querySelectorAll('.hex-rows .hex-row:not([hidden])')];
        const rowOverflow = Math.max(-1, ...rows.map((r) => r.querySelector('.hex-txt .hc:last-child')!.getBoundingClientRect().right - Math.min(rowsBox.right, vw)));
        const pane = document.querySelector('.hex-pane')!.getBoundingClientRect();
        const box = document.querySelector('.inspector-box') as HTMLElement;
        box.scrollTop = box.scrollHeight; // as far as a user can scroll it
        const b = box.getBoundingClientRect();
        const trs = box.querySelectorAll('.hex-inspector tr');
        const last = trs[trs.length - 1]?.getBoundingClientRect();
        return {
          width: vw,
          height: vh,
          conversation: document.querySelector('.conv-list')!.getBoundingClientRect().height,
          layout: (document.querySelector('.session-app') as HTMLElement).dataset.layout,
          bytesPerRow: rows[0]?.querySelectorAll('.hb').length ?? 0,
          rows: rows.length,
          rowOverflow: Math.round(rowOverflow),
          inspectorRows: trs.length,
          // the last inspector row is inside the (scrolled) inspector, which is inside the pane and the window
          inspectorOverflow: last ? Math.round(Math.max(last.bottom - b.bottom, b.bottom - pane.bottom, b.bottom - vh, pane.top - b.top)) : 99,
        };
      });
    /** Opens a select like a user and reports how many of its options lie inside the webview. */
    const dropdown = async (frame: Frame, cls: string) => {
      await frame.locator(`.${cls}`).click();
      await frame.waitForFunction((c) => !!document.querySelector(`.${c}`)?.shadowRoot?.querySelector('.dropdown.open'), cls, { timeout: 5_000 });
      const r = await frame.evaluate((c) => {
        const opts = [...document.querySelector(`.${c}`)!.shadowRoot!.querySelectorAll('[role="option"]')].map((o) => o.getBoundingClientRect());
        const vh = document.documentElement.clientHeight;
        const vw = document.documentElement.clientWidth;
        return { options: opts.length, inside: opts.filter((o) => o.top >= 0 && o.bottom <= vh + 0.5 && o.left >= 0 && o.right <= vw + 0.5).length };
      }, cls);
      await frame.locator(`.${cls}`).press('Escape');
      return r;
    };
    const check = async (name: string) => {
      const frame = await frameOf();
      await frame.locator('.hex-row:not([hidden]) .hb[data-c="1"]').first().click(); // the inspector shows this byte
      await frame.locator('.hex-inspector tbody tr').first().waitFor({ timeout: 10_000 });
      const m = await waitFor(`${name}: layout settled`, () => measure(frame), (v) => v.rowOverflow <= 0 && v.inspectorOverflow <= 0, 5_000).catch(async (e: Error) => {
        await screenshot(page, `session-fit-${name}-FAILED`);
        throw e;
      });
      assert.ok(m.bytesPerRow >= 4, `${name}: ${JSON.stringify(m)}`);
      // the conversation is what a learner reads: at least a quarter of the panel's height, whatever the width
      assert.ok(m.conversation >= m.height / 4, `${name}: the conversation is ${Math.round(m.conversation)} of ${m.height} px`);
      for (const cls of ['conv-encoding', 'send-encoding']) {
        const d = await dropdown(frame, cls);
        assert.ok(d.options >= 7 && d.inside === d.options, `${name}: ${cls} shows ${d.inside} of ${d.options} options`);
      }
      await screenshot(page, `session-fit-${name}`);
      return m;
    };
    const arrange = async (beside: boolean) => {
      if (beside) {
        await runCommand(page, 'File: New Untitled Text File');
        await runCommand(page, 'View: Move Editor into Right Group');
        await sessionTab.click();
      } else {
        await runCommand(page, 'View: Join All Editor Groups');
        await sessionTab.click();
      }
    };

    await page.keyboard.press('Escape'); // nothing left open by an earlier test covers the tabs
    await sessionTab.click();
    const seen: string[] = [];
    for (const beside of [false, true]) {
      await arrange(beside);
      for (const [theme, short] of [['Light Modern', 'light'], ['Dark Modern', 'dark'], ['Dark High Contrast', 'hc']] as const) {
        await setColorTheme(page, theme);
        for (const width of [900, 1400]) {
          await page.setViewportSize({ width, height: 900 });
          const m = await check(`${width}-${beside ? 'beside' : 'alone'}-${short}`);
          seen.push(`${width} ${beside ? 'beside' : 'alone'}: ${m.layout}, ${m.bytesPerRow} bytes per row, conversation ${Math.round(m.conversation)}/${m.height} px`);
        }
      }
    }
    console.log(seen.join('\n'));
    await runCommand(page, 'View: Join All Editor Groups');
  });
});
