// Shared helpers of the hardening tests: resource counts, seeded randomness, GC.
import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { until } from '../support';

/** True when the long variants (1,000 × 1 MiB, 10,000 connections, 1 GiB) should run. */
export const LONG = process.env.SOCKET_LAB_LONG === '1';

/** Open file descriptors of this process (Linux; undefined elsewhere). */
export function fdCount(): number | undefined {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** libuv handles keeping the loop alive (sockets, servers, timers, child processes). */
export function activeHandles(): number {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
}

/** Names of the active handles, for a readable failure message. */
export function handleKinds(): string {
  const hs = (process as unknown as { _getActiveHandles(): { constructor?: { name?: string } }[] })._getActiveHandles();
  const n = new Map<string, number>();
  for (const h of hs) n.set(h?.constructor?.name ?? '?', (n.get(h?.constructor?.name ?? '?') ?? 0) + 1);
  return [...n].map(([k, v]) => `${k}×${v}`).join(', ');
}


export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Baseline of descriptors and handles, and a check that both came back to it. */
export interface ResourceMark {
  fds: number | undefined;
  handles: number;
}
export function mark(): ResourceMark {
  return { fds: fdCount(), handles: activeHandles() };
}
/** Waits (bounded) for fds and handles to return to the mark; sockets close a tick or two after destroy(). */
export async function backToMark(m: ResourceMark, ms = 5000, slack = 0): Promise<ResourceMark> {
  try {
    await until(() => activeHandles() <= m.handles + slack && (m.fds === undefined || (fdCount() ?? 0) <= m.fds + slack), 'descriptors and handles to be released', ms, 1);
  } catch {
    throw new Error(`leak: fds ${m.fds} → ${fdCount()}, handles ${m.handles} → ${activeHandles()} (${handleKinds()})`);
  }
  return mark();
}


export function randomBytes(r: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (r() * 256) | 0;
  return b;
}

let gcFn: (() => void) | undefined;
/** A full GC (mocha runs without --expose-gc, so enable it at run time). */
export function gc(): void {
  if (!gcFn) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
}

/** Bytes held by the JS heap plus ArrayBuffers (Buffers) after a full GC. */
export function retainedBytes(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export const MiB = 1024 * 1024;
