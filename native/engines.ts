// What every capture engine looks like to the helper, plus the checks shared by all of them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CaptureEngine, CaptureError, CaptureInterface, DropReporting, StartRequest } from '../src/shared/captureProtocol';
import { permissionFix } from '../src/shared/captureProtocol';

/** Called once per captured packet; `data` may be reused by the engine after the call returns. */
export type PacketSink = (tsMicros: number, origLen: number, linkType: number, data: Uint8Array) => void;

/** What the engine (libpcap underneath) says about packets it saw and lost; undefined = not (yet) told. */
export interface EngineCounters {
  kernelReceived?: number;
  kernelDrops?: number;
  interfaceDrops?: number;
  engineDrops?: number;
}

export interface RunningEngine {
  readonly engine: CaptureEngine;
  /** Known at start for cap and tcpdump; dumpcap tells it with its first packets. */
  readonly linkType?: number;
  /** When the engine tells its drops: while running, only when it stops, or never. */
  readonly dropReporting: DropReporting;
  /** The latest counters the engine reported (final once `stop()` resolved). */
  counters(): EngineCounters;
  /** Asks the engine for fresh counters (tcpdump: SIGUSR1); they arrive later through `counters()`. */
  poll?(): void;
  /** Stops capturing; resolves once every packet the engine had has gone to the sink, with the final counters. */
  stop(): Promise<void>;
}

export interface EngineCallbacks {
  readonly onPacket: PacketSink;
  /** The engine stopped by itself (a child exited, an error). */
  readonly onEnd: (reason: string, error?: CaptureError) => void;
}

/** An error a start attempt ends with; `fallback` says another engine might do better. */
export class EngineError extends Error {
  constructor(
    readonly error: CaptureError,
    readonly fallback: boolean,
  ) {
    super(error.message);
  }
}

/** Finds an executable on PATH (plus the sbin folders, where tcpdump often hides). */
export function findExecutable(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  if (process.platform !== 'win32') dirs.push('/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin');
  else dirs.push('C:\\Program Files\\Wireshark');
  const exts = process.platform === 'win32' ? ['.exe', ''] : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const p = path.join(dir, name + ext);
      try {
        fs.accessSync(p, fs.constants.X_OK);
        if (fs.statSync(p).isFile()) return p;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Turns an engine's error text into a coded error a student can act on. */
export function classifyEngineError(text: string, engine: CaptureEngine, req: StartRequest): CaptureError {
  // dumpcap and tcpdump announce the capture before failing; the reason is on the lines after.
  const t = text
    .split(/\r?\n/)
    .filter((l) => !/^(Capturing on |listening on |File: |Packets: )/.test(l.trim()))
    .join('\n')
    .trim() || text.trim();
  if (/permission|not permitted|EPERM|EACCES|access denied|privilege/i.test(t)) {
    return { code: 'EPERM', message: `${engine} may not capture on "${req.interface}" (${firstLine(t)}). ${permissionFix(process.platform, engine)}` };
  }
  if (/filter|syntax error|parse error|can't parse|illegal|expression/i.test(t)) {
    return { code: 'EBADFILTER', message: `The capture filter "${req.filter}" was rejected: ${firstLine(t)}. Check it against pcap-filter syntax, e.g. "tcp port 8000".` };
  }
  if (/no such device|doesn't exist|no such interface|not found|There is no device/i.test(t)) {
    return { code: 'EBADIF', message: `${engine} cannot find interface "${req.interface}" (${firstLine(t)}). Refresh the interface list and pick another.` };
  }
  return { code: 'EENGINE', message: `${engine} could not capture: ${firstLine(t) || 'no reason given'}.` };
}

export function firstLine(t: string): string {
  return (t.split(/\r?\n/).find((l) => l.trim()) ?? '').trim().replace(/[.\s]+$/, '').slice(0, 300);
}

/** Interfaces from the OS itself, when no engine can list them (adds Linux's "any"). */
export function osInterfaces(): CaptureInterface[] {
  const list: CaptureInterface[] = Object.entries(os.networkInterfaces()).map(([name, addrs]) => ({
    name,
    addresses: (addrs ?? []).map((a) => a.address),
    loopback: (addrs ?? []).some((a) => a.internal),
  }));
  if (process.platform === 'linux' && !list.some((i) => i.name === 'any')) {
    list.push({ name: 'any', description: 'Pseudo-device that captures on all interfaces', addresses: [], loopback: false });
  }
  return list;
}
