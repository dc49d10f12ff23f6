// `socket-lab capture --interface lo --filter "tcp port 8000" [--count N] [--duration S] --write out.pcapng`
// Packets are written as they arrive, one whole block per write, so Ctrl-C / SIGTERM always leaves a readable file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CaptureEngineChoice } from '../../shared/captureProtocol';
import { CaptureLimits, isEngineChoice } from '../../shared/captureProtocol';
import type { PacketRecord } from '../../shared/packet';
import { productName, version } from '../about';
import { PcapngWriter, PcapWriter } from '../pcap/pcapWriter';
import { type Capture, CaptureManager, CaptureStartError } from '../capture/captureManager';
import { helperLaunch } from '../capture/helperLocation';
import { type CliIo, describe, parseVerbArgs, readOptions, UsageError } from './cliIo';

export const captureUsage = `Usage: socket-lab capture --interface IF [--filter EXPR] [--count N] [--duration S] --write FILE

Captures packets with the Socket Lab capture helper and writes them to a pcapng (or pcap) file.
  --interface, -i IF   interface to capture on (e.g. lo, eth0, any)
  --filter, -f EXPR    capture filter in pcap-filter syntax, e.g. "tcp port 8000"
  --count, -c N        stop after N packets
  --duration, -d S     stop after S seconds
  --write, -w FILE     output file; .pcap writes pcap, anything else pcapng
  --format F           pcapng or pcap (overrides the file extension)
  --engine E           auto (default), cap, dumpcap or tcpdump
  --snaplen N          bytes kept per packet (${CaptureLimits.minSnaplen}..${CaptureLimits.maxSnaplen})
Ctrl-C or SIGTERM stops the capture and leaves a complete file.
`;

export interface CaptureArgs {
  interface: string;
  filter: string;
  count?: number;
  duration?: number;
  write: string;
  format: 'pcapng' | 'pcap';
  engine: CaptureEngineChoice;
  snaplen: number;
}

const captureOptions = {
  interface: { type: 'string', short: 'i' },
  filter: { type: 'string', short: 'f' },
  count: { type: 'string', short: 'c' },
  duration: { type: 'string', short: 'd' },
  write: { type: 'string', short: 'w' },
  format: { type: 'string' },
  engine: { type: 'string' },
  snaplen: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A number from `min` to `max`, or the sentence saying it is not. */
function numberIn(name: string, v: string | undefined, min: number, max: number): number | { error: string } {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isFinite(n) || n < min || n > max) return { error: `${name} needs a number from ${min} to ${max}, got "${v ?? ''}"` };
  return n;
}

export function parseCaptureArgs(argv: string[]): CaptureArgs | { error: string } | 'help' {
  let parsed;
  try {
    // a value option last reads as empty (its check refuses that), except --format, which is then left out as always
    parsed = parseVerbArgs('capture', argv, captureOptions, (flag) => (flag === '--format' ? undefined : ''));
    if (parsed.positionals.length) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  } catch (e) {
    return { error: describe(e).message };
  }
  const v = parsed.values;
  if (v.help) return 'help';
  if (v.engine !== undefined && !isEngineChoice(v.engine)) return { error: `--engine must be auto, cap, dumpcap or tcpdump, got "${v.engine}"` };
  const count = v.count === undefined ? undefined : numberIn('--count', v.count, 1, 1e9);
  const duration = v.duration === undefined ? undefined : numberIn('--duration', v.duration, 0.001, 7 * 24 * 3600);
  const snaplen = v.snaplen === undefined ? CaptureLimits.defaultSnaplen : numberIn('--snaplen', v.snaplen, CaptureLimits.minSnaplen, CaptureLimits.maxSnaplen);
  for (const n of [count, duration, snaplen]) if (typeof n === 'object') return n;
  if (!v.interface) return { error: '--interface is required (e.g. --interface lo)' };
  if (!v.write) return { error: '--write FILE is required (e.g. --write out.pcapng)' };
  const format = v.format;
  if (format !== undefined && format !== 'pcap' && format !== 'pcapng') return { error: `--format must be pcapng or pcap, got "${format}"` };
  return {
    interface: v.interface,
    filter: v.filter ?? '',
    count: typeof count === 'number' ? Math.floor(count) : undefined,
    duration: duration as number | undefined,
    write: v.write,
    format: format ?? (/\.pcap$/i.test(v.write) ? 'pcap' : 'pcapng'),
    engine: (v.engine ?? 'auto') as CaptureEngineChoice,
    snaplen: Math.floor(snaplen as number),
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The CLI's accounting: what the engine saw and every drop it reported, or that its drops are unknown — never "0
 * dropped" unless an engine said so. "by the kernel": libpcap's ps_drop (the ring was full when the engine lagged).
 */
export function captureAccounting(c: Pick<Capture, 'engine' | 'received' | 'helperDrops' | 'kernelDrops' | 'interfaceDrops' | 'engineDrops' | 'dropStatus' | 'drops'>): string {
  const engine = c.engine ?? 'the engine';
  const seen = `${engine} saw ${plural(c.received, 'packet')}`;
  const socketLab = c.helperDrops ? `, ${c.helperDrops} dropped by Socket Lab` : '';
  if (c.dropStatus !== 'known') {
    const why = c.engine === 'cap' ? 'cap cannot report them; --engine dumpcap or tcpdump can' : `${engine} did not report them`;
    return `${seen}${socketLab}; kernel drops unknown (${why})`;
  }
  const parts = [`${c.kernelDrops ?? 0} by the kernel`];
  if (c.interfaceDrops) parts.push(`${c.interfaceDrops} by the interface`);
  if (c.engineDrops) parts.push(`${c.engineDrops} by ${engine}`);
  if (c.helperDrops) parts.push(`${c.helperDrops} by Socket Lab`);
  return `${seen}, ${plural(c.drops, 'dropped', 'dropped')} (${parts.join(', ')})`;
}

/**
 * Appends pcap/pcapng blocks synchronously to a temporary file beside the target, so the file is whole after every
 * write; `commit()` renames it over the target, `discard()` removes it: a capture that fails never touches the target.
 */
class CaptureFileWriter {
  private readonly fd: number;
  private readonly partial: string;
  private writer: PcapWriter | PcapngWriter | undefined;
  written = 0;

  constructor(
    private readonly target: string,
    private readonly format: 'pcap' | 'pcapng',
    private readonly interfaceName: string,
    private readonly snaplen: number,
  ) {
    if (fs.statSync(target, { throwIfNoEntry: false })?.isDirectory()) throw new Error('it is a folder; give a file name');
    this.partial = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.partial`);
    this.fd = fs.openSync(this.partial, 'wx');
  }

  /** The header needs the link type: from the engine at start, else from the first packet. */
  begin(linkType: number): PcapWriter | PcapngWriter {
    if (!this.writer) {
      const opts = { linkType, snaplen: this.snaplen, interfaceName: this.interfaceName, application: `${productName} ${version}` };
      this.writer = this.format === 'pcapng' ? new PcapngWriter(opts) : new PcapWriter(opts);
      fs.writeSync(this.fd, this.writer.header());
    }
    return this.writer;
  }

  write(p: PacketRecord): void {
    fs.writeSync(this.fd, this.begin(p.linkType).packet(p));
    this.written++;
  }

  close(linkType: number): void {
    this.begin(linkType);
    fs.closeSync(this.fd);
  }

  commit(): void {
    fs.renameSync(this.partial, this.target);
  }

  discard(): void {
    fs.rmSync(this.partial, { force: true });
  }
}

/** The CLI's capture helper: the bundled one, run by this Node, in a process group of its own (Ctrl-C is ours). */
function cliCaptureManager(io: CliIo): CaptureManager {
  return new CaptureManager({
    launch: () => ({ ...helperLaunch(process.execPath), detached: true }),
    maxPacketsPerCapture: 1024,
    log: (l) => {
      if (process.env.SOCKET_LAB_DEBUG) io.err(`${l}\n`);
    },
  });
}

export async function runCaptureCommand(argv: string[], io: CliIo): Promise<number> {
  const args = readOptions('capture', captureUsage, io, () => parseCaptureArgs(argv));
  if (typeof args === 'number') return args;
  const manager = cliCaptureManager(io);
  let file: CaptureFileWriter;
  try {
    file = new CaptureFileWriter(args.write, args.format, args.interface, args.snaplen);
  } catch (e) {
    io.err(`socket-lab capture: cannot write ${args.write}: ${e instanceof Error ? e.message : String(e)}\n`);
    manager.dispose();
    return 1;
  }
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const onSignal = () => resolveDone();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let code = 0;
  let linkType = 1;
  let removeAfterClose = false;
  try {
    const capture = await manager.start({ interface: args.interface, filter: args.filter, engine: args.engine, snaplen: args.snaplen });
    linkType = capture.linkType ?? 1;
    if (capture.linkType !== undefined) file.begin(capture.linkType);
    io.err(`Capturing on ${capture.interface} with ${capture.engine}${capture.filter ? ` (filter "${capture.filter}")` : ''}; Ctrl-C stops.\n`);
    capture.onDidAddPackets(({ from, count }) => {
      for (let i = from; i < from + count; i++) {
        if (args.count !== undefined && file.written >= args.count) break;
        const p = capture.packets.at(i);
        if (p) file.write(p);
      }
      if (args.count !== undefined && file.written >= args.count) resolveDone();
    });
    capture.onDidChange(() => {
      if (capture.state === 'stopped') resolveDone();
    });
    const timer = args.duration !== undefined ? setTimeout(resolveDone, args.duration * 1000) : undefined;
    await done;
    if (timer) clearTimeout(timer);
    const stoppedByItself = capture.state === 'stopped';
    await capture.stop();
    if (stoppedByItself && capture.stopReason !== 'stopped') {
      io.err(`socket-lab capture: ${capture.error?.message ?? capture.stateText}\n`);
      code = 1;
    }
    io.err(`${file.written} packet${file.written === 1 ? '' : 's'} written to ${args.write}; ${captureAccounting(capture)}.\n`);
  } catch (e) {
    if (file.written === 0) removeAfterClose = true;
    io.err(`socket-lab capture: ${e instanceof CaptureStartError ? `${e.message} [${e.code}]` : e instanceof Error ? e.message : String(e)}\n`);
    code = 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    file.close(linkType);
    // A capture that never started leaves no file behind, and whatever was at the target before stays as it was.
    if (removeAfterClose) file.discard();
    else {
      try {
        file.commit();
      } catch (e) {
        io.err(`socket-lab capture: could not move the capture to ${args.write} (${e instanceof Error ? e.message : String(e)}); it is kept beside it as a hidden .partial file.\n`);
        code = 1;
      }
    }
    manager.dispose();
  }
  return code;
}
