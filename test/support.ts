// What unit tests, e2e tests and benches share: the repository root, free ports, and the one bounded wait.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..');

/** Resolves once `check()` holds, re-checking every `everyMs`; rejects naming `what` after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A TCP port on 127.0.0.1 that nobody listened on a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** The same, synchronously (for constants a spec needs before its window starts), distinct from `avoid`. */
export function freePortSync(avoid: readonly number[] = []): number {
  const script = "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})";
  for (;;) {
    const p = Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    if (!avoid.includes(p)) return p;
  }
}

/** Resolves with the first value `probe()` gives that is not undefined, null or false; rejects naming `what` after `ms`. */
export async function eventually<T>(probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, what: string, ms = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A Python program whose first printed line is its port; `lines` collects every whole line it prints after. Output
 * arrives in pieces that need not end at a newline (with PYTHONUNBUFFERED each print argument is its own write).
 */
export function pythonPeer(code: readonly string[]): Promise<{ port: number; lines: string[]; proc: ChildProcess }> {
  const proc = spawn('python3', ['-c', code.join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let partial = '';
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => {
      const parts = (partial + d).split('\n');
      partial = parts.pop()!;
      for (const l of parts.filter(Boolean)) {
        lines.push(l);
        if (lines.length === 1) resolve({ port: Number(l), lines, proc });
      }
    });
  });
}
