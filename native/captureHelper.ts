// Socket Lab capture helper: a separate Node process that owns packet capture (npm `cap`, or dumpcap/tcpdump).
// Speaks frames (src/shared/captureProtocol.ts) on stdin/stdout, logs on stderr, exits when stdin closes.
import { version } from '../src/core/about';
import type {
  CaptureEngine,
  CaptureError,
  CaptureInterface,
  CaptureStats,
  HelperEvent,
  HelperRequest,
  ListInterfacesReply,
  StartReply,
  StartRequest,
  StopReply,
} from '../src/shared/captureProtocol';
import {
  checkStartRequest,
  decodeControl,
  encodeControl,
  HelperFrameDecoder,
  FrameError,
  FrameKind,
  isHelperRequest,
  PacketBatchBuilder,
} from '../src/shared/captureProtocol';
import type { RpcEnvelope } from '../src/shared/rpc';
import { Rpc } from '../src/shared/rpc';
import { capInterfaces, capStatus, startCap } from './capEngine';
import type { RunningEngine } from './engines';
import { EngineError, osInterfaces } from './engines';
import { processInterfaces, processStatus, startProcessEngine } from './processEngine';

/** Past this much unsent output the extension is not keeping up: batches are dropped and counted. */
const MAX_QUEUED_BYTES = Number(process.env.SOCKET_LAB_HELPER_MAX_QUEUE) || 32 * 1024 * 1024;
const STATS_INTERVAL_MS = 500;

interface ActiveCapture {
  readonly id: number;
  readonly snaplen: number;
  engine?: RunningEngine;
  readonly builder: PacketBatchBuilder;
  received: number;
  delivered: number;
  dropped: number;
  flushScheduled: boolean;
  lastReported: string;
}

const captures = new Map<number, ActiveCapture>();
let interfaceCache: CaptureInterface[] | undefined;

function log(msg: string): void {
  process.stderr.write(`[capture-helper ${process.pid}] ${msg}\n`);
}

function writeFrame(frame: Uint8Array): void {
  process.stdout.write(frame);
}

const rpc = new Rpc<HelperEvent, HelperRequest>((m: RpcEnvelope) => writeFrame(encodeControl(m)), {
  onRequest: (req) => handle(req),
  validate: isHelperRequest,
  onInvalid: (_raw, reason) => log(`ignored a request: ${reason}`),
});

function statsOf(c: ActiveCapture): CaptureStats {
  const base = { captureId: c.id, received: c.received, delivered: c.delivered, dropped: c.dropped };
  return c.engine ? { ...base, dropReporting: c.engine.dropReporting, ...c.engine.counters() } : base;
}

function flush(c: ActiveCapture): void {
  c.flushScheduled = false;
  const n = c.builder.count;
  if (n === 0) return;
  const frame = c.builder.finish();
  if (process.stdout.writableLength > MAX_QUEUED_BYTES) {
    c.dropped += n;
    return;
  }
  writeFrame(frame);
  c.delivered += n;
}

// Under load, waking once per packet (libpcap immediate mode, which cap forces) costs ~10 µs each; pausing 1 ms
// after a busy batch lets the kernel ring gather ~100 packets per wakeup instead. Quiet traffic is never delayed.
const COALESCE_MIN_BATCH = 8;
const COALESCE_PAUSE_MS = 1;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let pausedThisTurn = false;

function scheduledFlush(c: ActiveCapture): void {
  const n = c.builder.count;
  flush(c);
  if (n >= COALESCE_MIN_BATCH && c.engine?.engine === 'cap' && !pausedThisTurn) {
    pausedThisTurn = true;
    Atomics.wait(sleeper, 0, 0, COALESCE_PAUSE_MS);
    setImmediate(() => (pausedThisTurn = false));
  }
}

function sinkFor(c: ActiveCapture) {
  return (tsMicros: number, origLen: number, linkType: number, data: Uint8Array): void => {
    c.received++;
    const bytes = data.length > c.snaplen ? data.subarray(0, c.snaplen) : data;
    if (!c.builder.fits(bytes.length)) flush(c);
    // The one copy out of the engine's (shared) buffer, straight into the outgoing frame.
    c.builder.add(tsMicros, origLen, linkType, bytes);
    if (!c.flushScheduled) {
      c.flushScheduled = true;
      setImmediate(() => scheduledFlush(c));
    }
  };
}

function listInterfaces(): ListInterfacesReply {
  try {
    interfaceCache = capInterfaces() ?? processInterfaces('dumpcap') ?? processInterfaces('tcpdump') ?? osInterfaces();
    return { ok: true, interfaces: interfaceCache };
  } catch (e) {
    return { ok: false, error: { code: 'EENGINE', message: `Could not list interfaces: ${e instanceof Error ? e.message : String(e)}.` } };
  }
}

function engineOrder(req: StartRequest): CaptureEngine[] {
  // dumpcap first: it loses the least on lo (bench/capture.bench.ts, docs/reliability.md) and reports its drops;
  // tcpdump reports drops live; cap cannot report them at all.
  return req.engine === 'auto' ? ['dumpcap', 'tcpdump', 'cap'] : [req.engine];
}

async function startEngine(engine: CaptureEngine, req: StartRequest, c: ActiveCapture): Promise<RunningEngine> {
  const callbacks = {
    onPacket: sinkFor(c),
    onEnd: (reason: string, error?: CaptureError) => {
      if (captures.get(c.id) !== c) return;
      flush(c);
      captures.delete(c.id);
      rpc.event({ type: 'stopped', captureId: c.id, reason, error, stats: statsOf(c) });
    },
  };
  if (engine === 'cap') return startCap(req, callbacks);
  return startProcessEngine(engine, req, callbacks);
}

async function start(req: StartRequest): Promise<StartReply> {
  if (captures.has(req.captureId)) return { ok: false, error: { code: 'EBUSY', message: `Capture ${req.captureId} is already running.` } };
  if (!interfaceCache) listInterfaces();
  let bad = checkStartRequest(req, interfaceCache);
  // An interface may have appeared since we listed them: look once more before refusing.
  if (bad?.code === 'EBADIF') {
    listInterfaces();
    bad = checkStartRequest(req, interfaceCache);
  }
  if (bad) return { ok: false, error: bad };

  const errors: CaptureError[] = [];
  for (const engine of engineOrder(req)) {
    const c: ActiveCapture = {
      id: req.captureId,
      snaplen: req.snaplen,
      builder: new PacketBatchBuilder(req.captureId),
      received: 0,
      delivered: 0,
      dropped: 0,
      flushScheduled: false,
      lastReported: '',
    };
    captures.set(c.id, c);
    try {
      c.engine = await startEngine(engine, req, c);
      log(`capture ${c.id} on ${req.interface} with ${engine}${req.filter ? ` filter "${req.filter}"` : ''}`);
      return { ok: true, captureId: c.id, engine, linkType: c.engine.linkType };
    } catch (e) {
      captures.delete(c.id);
      if (!(e instanceof EngineError)) throw e;
      errors.push(e.error);
      log(`engine ${engine} failed: ${e.error.message}`);
      if (!e.fallback) break;
    }
  }
  // The most telling failure: a real one beats "engine not available".
  const error = errors.find((e) => e.code !== 'ENOENGINE') ?? errors[0];
  if (errors.length > 1 && errors.every((e) => e.code === 'ENOENGINE')) {
    return { ok: false, error: { code: 'ENOENGINE', message: `No capture engine can run here: ${errors.map((e) => e.message).join(' ')}` } };
  }
  return { ok: false, error };
}

async function stop(captureId: number): Promise<StopReply> {
  const c = captures.get(captureId);
  if (!c) return { ok: false, error: { code: 'ENOCAPTURE', message: `There is no running capture ${captureId}.` } };
  captures.delete(captureId);
  await c.engine?.stop();
  flush(c);
  return { ok: true, stats: statsOf(c) };
}

async function handle(req: HelperRequest): Promise<unknown> {
  switch (req.type) {
    case 'hello':
      return { version, pid: process.pid, node: process.version, engines: [capStatus(), processStatus('dumpcap'), processStatus('tcpdump')] };
    case 'listInterfaces':
      return listInterfaces();
    case 'start':
      return start(req);
    case 'stop':
      return stop(req.captureId);
    case 'stats': {
      const c = captures.get(req.captureId);
      return c ? { ok: true, stats: statsOf(c) } : { ok: false, error: { code: 'ENOCAPTURE', message: `There is no running capture ${req.captureId}.` } };
    }
  }
}

async function shutdown(code: number): Promise<void> {
  clearInterval(statsTimer);
  await Promise.allSettled([...captures.values()].map((c) => c.engine?.stop()));
  captures.clear();
  rpc.dispose();
  process.exit(code);
}

const statsTimer = setInterval(() => {
  for (const c of captures.values()) {
    c.engine?.poll?.();
    const s = statsOf(c);
    const key = JSON.stringify(s);
    if (key === c.lastReported) continue;
    c.lastReported = key;
    rpc.event({ type: 'stats', ...s });
  }
}, STATS_INTERVAL_MS);

function main(): void {
  if (process.argv.includes('--version')) {
    process.stdout.write(`${version}\n`);
    process.exit(0);
  }
  const decoder = new HelperFrameDecoder();
  process.stdin.on('data', (chunk: Buffer) => {
    let frames;
    try {
      frames = decoder.push(chunk);
    } catch (e) {
      log(`broken input stream: ${e instanceof FrameError ? e.message : String(e)}; exiting`);
      void shutdown(2);
      return;
    }
    for (const f of frames) {
      if (f.kind !== FrameKind.Control) {
        log(`ignored a frame of kind ${f.kind}`);
        continue;
      }
      try {
        void rpc.receive(decodeControl(f.payload));
      } catch (e) {
        log(`ignored a bad control frame: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  });
  // The extension closing our stdin (or dying) is the signal to stop everything.
  process.stdin.on('end', () => void shutdown(0));
  process.stdin.on('error', () => void shutdown(0));
  process.stdout.on('error', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  // A terminal's Ctrl-C is for our parent, which then stops captures in order; stdin closing ends us.
  process.on('SIGINT', () => log('ignoring SIGINT; the parent stops captures'));
  log(`ready (node ${process.version})`);
}

main();
