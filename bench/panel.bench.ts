// Session panel in Chromium: time from "open" (the bundle starts) to the first rendered hex rows,
// and the cost of one scroll step, for a 64 MiB transcript against a 1 KiB one in the same run.
// dist/webview/main.js runs in a plain page whose fake acquireVsCodeApi answers the panel protocol
// from memory: a benchmark harness, not a test. Goals: first rows < 200 ms, scroll step < 16 ms.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const root = path.resolve(__dirname, '..');
// The bench bundles its own production (minified) copy of the webview, as `npm run package` ships it,
// so it never depends on what state the shared dist/ folder is in.
const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-bench-webview-'));

// Runs inside the page before main.js: a transcript of `size` bytes in 64 KiB chunks (alternating
// direction) and an extension host that speaks the RPC envelopes of src/shared/rpc.ts.
const fakeHost = (size: number) => `
(() => {
  const size = ${size};
  const CHUNK = Math.min(65536, size);
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;
  const chunks = [];
  for (let o = 0, s = 0; o < size; o += CHUNK, s++) chunks.push({ seq: s, dir: s % 2 ? 'in' : 'out', time: Date.now(), offset: o, length: Math.min(CHUNK, size - o) });
  const tr = { startOffset: 0, endOffset: size, firstSeq: 0, nextSeq: chunks.length, droppedBytes: 0, droppedChunks: 0 };
  const session = { id: 's1', kind: 'tcp-client', label: '127.0.0.1:9', state: 'open', closed: false, multiPeer: false, canSend: true };
  const chunkIndex = (off) => { let lo = 0, hi = chunks.length - 1; while (lo < hi) { const m = (lo + hi + 1) >> 1; if (chunks[m].offset <= off) lo = m; else hi = m - 1; } return lo; };
  const answer = (req) => {
    switch (req.type) {
      case 'ready': return { session, transcript: tr, encoding: 'utf-8', encodings: ['utf-8', 'gbk'], strings: {} };
      case 'readRange': {
        const from = Math.min(req.offset, size), to = Math.min(req.offset + req.length, size);
        const spans = [];
        if (to > from) for (let i = chunkIndex(from); i < chunks.length && chunks[i].offset < to; i++) spans.push(chunks[i]);
        return { offset: from, bytes: data.slice(from, to), spans };
      }
      case 'chunks': return { transcript: tr, chunks: chunks.slice(req.fromSeq, req.fromSeq + Math.min(req.limit, 16)).map((c) => ({ ...c, parts: [{ t: String.fromCharCode(...data.subarray(c.offset, c.offset + Math.min(req.maxBytes, c.length, 4096))).replace(/[^ -~]/g, '.') }], omitted: Math.max(0, c.length - Math.min(req.maxBytes, 4096)) })) };
      default: return { ok: false, error: { code: 'EBENCH', message: 'not in the benchmark' } };
    }
  };
  let state;
  window.acquireVsCodeApi = () => ({
    getState: () => state,
    setState: (s) => { state = s; },
    postMessage: (m) => { if (m.kind === 'req') setTimeout(() => window.postMessage({ kind: 'res', id: m.id, body: answer(m.body) }, '*'), 0); },
  });
})();`;

// In-page measurements, kept as plain JS strings: they run in the browser, not in Node.
const FIRST_ROWS = `new Promise((resolve) => {
  const t0 = performance.now();
  document.addEventListener('hexrendered', function on(e) {
    if (e.detail.rows > 0) {
      document.body.getBoundingClientRect(); // include style and layout of the rows
      document.removeEventListener('hexrendered', on);
      resolve(performance.now() - t0);
    }
  });
  const s = document.createElement('script');
  s.src = '/main.js';
  document.body.append(s);
})`;

const SCROLL_STEPS = `(async () => {
  // let the conversation finish its first pulls, so the steps measure scrolling alone
  await new Promise((r) => {
    const check = () => (document.body.dataset.ready ? setTimeout(r, 500) : setTimeout(check, 20));
    check();
  });
  const view = document.querySelector('.hex-view');
  const rows = view.querySelector('.hex-rows');
  const track = view.querySelector('.hex-track');
  const step = (init) => new Promise((resolve) => {
    const t0 = performance.now();
    view.addEventListener('hexrendered', () => {
      document.body.getBoundingClientRect();
      resolve(performance.now() - t0);
    }, { once: true });
    init();
  });
  const notch = (dy) => step(() => rows.dispatchEvent(new WheelEvent('wheel', { deltaY: dy, deltaMode: 0, bubbles: true, cancelable: true })));
  // one notch up, one down, …: every step redraws all rows, whatever the size (a fair baseline)
  const wheel = [];
  for (let i = 0; i < 300; i++) wheel.push(await notch(i % 2 ? 100 : -100));
  // notches in one direction: also pulls a new page now and then (only meaningful for big transcripts)
  const travel = [];
  for (let i = 0; i < 300; i++) travel.push(await notch(-100));
  // clicks on the track page by a screenful; far pages are not cached yet
  const jump = [];
  for (let i = 0; i < 30; i++) {
    const r = track.getBoundingClientRect();
    const y = r.top + (((i * 7919) % 97) / 97) * r.height;
    jump.push(await step(() => track.dispatchEvent(new PointerEvent('pointerdown', { clientY: y, bubbles: true, cancelable: true }))));
  }
  return { wheel, travel, jump };
})()`;

interface Figures {
  firstRowsMs: number;
  scrollMedianMs: number;
  scrollP95Ms: number;
  travelMedianMs: number;
  travelP95Ms: number;
  jumpMedianMs: number;
}

async function measure(browser: import('playwright-core').Browser, size: number): Promise<Figures> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.route('http://bench.invalid/**', (route) => {
    const name = new URL(route.request().url()).pathname.slice(1);
    if (!name) return route.fulfill({ contentType: 'text/html', body: '<!DOCTYPE html><html><head><link rel="stylesheet" href="/main.css"></head><body data-view="session"><div id="root"></div></body></html>' });
    const file = path.join(dist, name);
    if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: '' });
    return route.fulfill({ body: fs.readFileSync(file), contentType: file.endsWith('.css') ? 'text/css' : 'text/javascript' });
  });
  await page.goto('http://bench.invalid/');
  await page.addScriptTag({ content: fakeHost(size) });
  const firstRowsMs = (await page.evaluate(FIRST_ROWS)) as number;
  const steps = (await page.evaluate(SCROLL_STEPS)) as { wheel: number[]; travel: number[]; jump: number[] };
  await page.close();
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  return { firstRowsMs, scrollMedianMs: q(steps.wheel, 0.5), scrollP95Ms: q(steps.wheel, 0.95), travelMedianMs: q(steps.travel, 0.5), travelP95Ms: q(steps.travel, 0.95), jumpMedianMs: q(steps.jump, 0.5) };
}

async function main(): Promise<void> {
  await build({ entryPoints: { main: path.join(root, 'webview/src/main.ts') }, outdir: dist, bundle: true, minify: true, format: 'iife', platform: 'browser', target: 'es2022', loader: { '.ttf': 'file' }, logLevel: 'warning' });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    await measure(browser, 1024); // warm-up: first page load pays for compiling the bundle
    const small = await measure(browser, 1024);
    const big = await measure(browser, 64 * 1024 * 1024);
    const f = (n: number) => n.toFixed(2);
    const line = (name: string, x: Figures) =>
      console.log(`${name}: first rows ${f(x.firstRowsMs)} ms; scroll step median ${f(x.scrollMedianMs)} ms (p95 ${f(x.scrollP95Ms)}); continuous scroll median ${f(x.travelMedianMs)} ms (p95 ${f(x.travelP95Ms)}); track click ${f(x.jumpMedianMs)} ms`);
    line('baseline 1 KiB', small);
    line('64 MiB        ', big);
    console.log(`ratio 64 MiB / 1 KiB: first rows ×${f(big.firstRowsMs / small.firstRowsMs)}, scroll step ×${f(big.scrollMedianMs / Math.max(0.01, small.scrollMedianMs))}`);
    console.log(`goals at 64 MiB: first rows < 200 ms ${big.firstRowsMs < 200 ? 'met' : 'MISSED'}; scroll step median < 16 ms ${big.scrollMedianMs < 16 ? 'met' : 'MISSED'}, p95 ${big.scrollP95Ms < 16 ? 'met' : 'MISSED'} (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`);
  } finally {
    await browser.close();
    fs.rmSync(dist, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
