// The conversation's time styles in the real ConversationView (bundled, in Chromium): absolute (the clock), relative
// (since the session's first record) and delta (since the row before, chunk or event; the first shown row since the
// chunk the transcript holds before it), the words and counting of socketLab.logs.timestamps.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { repoRoot } from './helpers';

declare global {
  interface Window {
    rowTimes(mode: string, fromSeq: number): Promise<string[]>;
  }
}

describe('conversation view: absolute, relative and delta times', function () {
  this.timeout(60_000);

  it('counts each row as its mode says, events included, and a later page from the chunk before it', async function () {
    const exe = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => fs.existsSync(p));
    if (!exe) this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-times-'));
    const entry = path.join(dir, 'entry.ts');
    // T: the session opened; chunks at +100 ms, +1.5 s, +1.75 s, the peer's FIN at +1.6 s; a 4th chunk at +2.75 s
    fs.writeFileSync(entry, `
      import { ConversationView } from ${JSON.stringify(path.join(repoRoot, 'webview/src/session/conversationView'))};
      const T = Date.UTC(2026, 0, 2, 3, 4, 5, 0);
      const at = [100, 1500, 1750, 2750];
      const tr = { startOffset: 0, endOffset: 4, firstSeq: 0, nextSeq: 4, droppedBytes: 0, droppedChunks: 0 };
      const chunk = (seq: number) => ({ seq, dir: seq % 2 ? 'in' : 'out', time: T + at[seq], offset: seq, length: 1, parts: [{ t: 'x' }], omitted: 0, prevTime: seq ? T + at[seq - 1] : undefined });
      const events = [{ time: T, state: 'open', seq: 0 }, { time: T + 1600, state: 'half-closed-by-peer', seq: 2 }];
      window.rowTimes = async (mode: string, fromSeq: number) => {
        const root = document.createElement('div');
        document.body.append(root);
        const source = async (from: number, limit: number) => ({ transcript: tr, chunks: [0, 1, 2, 3].filter((s) => s >= Math.max(from, fromSeq) && s < from + limit).map(chunk) });
        const v = new ConversationView(root, source as any, () => ({ render: 'text', encoding: 'utf-8', timeMode: mode as any }), false, () => undefined);
        v.setSession({ id: 's1', kind: 'tcp-client', label: 'x', state: 'open', closed: false, multiPeer: false, canSend: true, encoding: 'utf-8', events } as any);
        await v.init({ ...tr, firstSeq: fromSeq } as any);
        const rows = [...root.querySelectorAll('.conv-list > *')].map((r) => r.querySelector('.chunk-time')?.textContent ?? '');
        root.remove();
        return rows;
      };`);
    /** What the page's script leaves on its window (the unit tsconfig has no DOM types). */
    type Page = { rowTimes: (style: string, from: number) => string[] };
    const bundle = await esbuild.build({ entryPoints: [entry], bundle: true, write: false, format: 'iife', platform: 'browser', loader: { '.css': 'empty' }, logLevel: 'silent' });
    fs.rmSync(dir, { recursive: true, force: true });
    const browser = await chromium.launch({ executablePath: exe, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.setContent('<!DOCTYPE html><html><body></body></html>');
      await page.addScriptTag({ content: bundle.outputFiles[0].text });
      // rows: open, chunk 0, chunk 1, FIN, chunk 2, chunk 3
      assert.deepEqual(await page.evaluate(() => (globalThis as unknown as Page).rowTimes('delta', 0)), ['+0.000 s', '+100.000 ms', '+1.400 s', '+100.000 ms', '+150.000 ms', '+1.000 s']);
      assert.deepEqual(await page.evaluate(() => (globalThis as unknown as Page).rowTimes('relative', 0)), ['+0.000 s', '+100.000 ms', '+1.500 s', '+1.600 s', '+1.750 s', '+2.750 s']);
      const clock = await page.evaluate(() => (globalThis as unknown as Page).rowTimes('absolute', 0));
      assert.equal(clock.length, 6);
      assert.ok(clock.every((c) => /^\d\d:\d\d:\d\d\.\d{3}$/.test(c)), clock.join(' '));
      // the transcript holds chunks from #2 on: the FIN before it counts from the chunk before (#1, at +1.5 s)
      assert.deepEqual(await page.evaluate(() => (globalThis as unknown as Page).rowTimes('delta', 2)), ['+100.000 ms', '+150.000 ms', '+1.000 s']);
    } finally {
      await browser.close();
    }
  });
});
