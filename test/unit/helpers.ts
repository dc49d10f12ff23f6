import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { repoRoot } from '../support';
export { repoRoot };

/** Every file under `dir` (relative to the repo) whose name ends with one of `exts`. */
export function filesUnder(dir: string, exts: string[]): string[] {
  const root = path.join(repoRoot, dir);
  if (!fs.existsSync(root)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && exts.some((e) => entry.name.endsWith(e))) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}

/** mulberry32: a tiny seeded PRNG, so every fuzz run tries the same inputs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What this machine can capture with: root rights, a program on PATH, the optional `cap` addon. */
export const isRoot = process.getuid?.() === 0;
export const onPath = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
export const capLoads = ((): boolean => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('cap');
    return true;
  } catch {
    return false;
  }
})();

/** A CliIo that keeps what a verb writes (stdout and stderr), for the CLI tests. */
export function captureIo(): { stdout: string; stderr: string; out(t: string): void; err(t: string): void } {
  const io = {
    stdout: '',
    stderr: '',
    out(t: string) {
      io.stdout += t;
    },
    err(t: string) {
      io.stderr += t;
    },
  };
  return io;
}

/** The address a `listen` verb prints in its "listening on …" line (or its --json "address"), once it has. */
export function listeningAddress(io: { stdout: string }): Promise<string> {
  return new Promise((resolve) => {
    const check = () => {
      const m = /listening on (\S+)\n/.exec(io.stdout) ?? /"address":"([^"]+)"/.exec(io.stdout);
      if (m) resolve(m[1]);
      else setTimeout(check, 5);
    };
    check();
  });
}
