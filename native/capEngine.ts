// The `cap` engine: libpcap inside the helper process through the optional npm addon `cap`.
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { CaptureInterface, EngineStatus, StartRequest } from '../src/shared/captureProtocol';
import { LinkType } from '../src/shared/packet';
import type { EngineCallbacks, RunningEngine } from './engines';
import { classifyEngineError, EngineError } from './engines';

interface CapDevice { name: string; description?: string; addresses?: { addr?: string }[]; flags?: string }
interface CapInstance {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', cb: (nbytes: number, truncated: boolean) => void): void;
  removeAllListeners(): void;
}
interface CapModule { Cap: { new (): CapInstance; deviceList(): CapDevice[] } }

let loaded: { mod?: CapModule; reason?: string } | undefined;

/** Loads `cap` once; a missing or mis-built addon becomes a reason, never a crash. */
export function loadCap(): { mod?: CapModule; reason?: string } {
  if (loaded) return loaded;
  if (process.env.SOCKET_LAB_NO_CAP === '1') return (loaded = { reason: 'the cap engine is switched off (SOCKET_LAB_NO_CAP=1).' });
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = { mod: require('cap') as CapModule };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/Cannot find module/.test(msg)) {
      loaded = { reason: 'the optional npm package "cap" is not installed; install libpcap-dev and run "npm install cap", or use the dumpcap/tcpdump engine.' };
    } else if (/NODE_MODULE_VERSION|was compiled against a different Node/.test(msg)) {
      loaded = { reason: `"cap" was built for another Node.js version (${process.version} here); run "npm rebuild cap" with this Node, or point socketLab.capture.nodePath at the Node it was built for.` };
    } else {
      loaded = { reason: `"cap" failed to load: ${msg.split('\n')[0]}` };
    }
  }
  return loaded;
}

export function capStatus(): EngineStatus {
  const { mod, reason } = loadCap();
  return mod ? { engine: 'cap', available: true } : { engine: 'cap', available: false, reason };
}

export function capInterfaces(): CaptureInterface[] | undefined {
  const { mod } = loadCap();
  if (!mod) return undefined;
  return mod.Cap.deviceList().map((d) => ({
    name: d.name,
    description: d.description,
    addresses: (d.addresses ?? []).map((a) => a.addr ?? '').filter(Boolean),
    loopback: (d.flags ?? '').includes('LOOPBACK'),
  }));
}

function linkTypeOf(name: string): number {
  switch (name) {
    case 'ETHERNET':
      return LinkType.ETHERNET;
    case 'NULL':
      return LinkType.NULL;
    case 'RAW':
      return LinkType.RAW;
    case 'LINKTYPE_LINUX_SLL':
      return LinkType.LINUX_SLL;
    case 'IEEE802_11_RADIO':
      return 127;
    default: {
      const m = /Unknown linktype (\d+)/.exec(name);
      return m ? Number(m[1]) : LinkType.ETHERNET;
    }
  }
}

// cap forces snaplen 65535, and lo's MTU is 65536: the real length of a cut packet comes from its IP header.
const CAP_SNAPLEN = 65535;
function originalLength(buf: Buffer, n: number, linkType: number): number {
  if (n < CAP_SNAPLEN || linkType !== LinkType.ETHERNET || n < 14 + 40) return n;
  const ethertype = buf.readUInt16BE(12);
  if (ethertype === 0x0800) return Math.max(n, 14 + buf.readUInt16BE(16));
  if (ethertype === 0x86dd) return Math.max(n, 14 + 40 + buf.readUInt16BE(18));
  return n;
}

/**
 * cap 0.2.x bug: when open() throws after pcap_create, the addon keeps its pcap handle but never initialises its
 * uv_poll_t, so close() — called by its GC finaliser, or by a later open() on the same object — runs uv_poll_stop
 * on garbage and crashes (SIGSEGV) or corrupts the helper's event loop. Such objects must never be closed or
 * collected: they stay here for the helper's lifetime (a small pcap_t each; the permission pre-check below keeps
 * the common failure from ever reaching open()).
 */
const failedOpens: CapInstance[] = [];
export const failedCapOpens = (): number => failedOpens.length;

const CAP_NET_RAW = 13n;

/** Linux: without root or CAP_NET_RAW, libpcap's socket(AF_PACKET) fails; say so without calling cap at all. */
export function capPermissionProblem(): string | undefined {
  if (process.platform !== 'linux' || process.geteuid?.() === 0) return undefined;
  let status: string;
  try {
    status = fs.readFileSync('/proc/self/status', 'utf8');
  } catch {
    return undefined; // no /proc: let libpcap decide
  }
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  if (!m) return undefined;
  return (BigInt(`0x${m[1]}`) >> CAP_NET_RAW) & 1n ? undefined : 'socket: Operation not permitted; this process has no CAP_NET_RAW';
}

export function startCap(req: StartRequest, cb: EngineCallbacks): RunningEngine {
  const { mod, reason } = loadCap();
  if (!mod) throw new EngineError({ code: 'ENOENGINE', message: `The cap engine is unavailable: ${reason}` }, true);
  const denied = capPermissionProblem();
  if (denied) throw new EngineError(classifyEngineError(denied, 'cap', req), true);
  const c = new mod.Cap();
  // cap copies every packet into this one buffer and emits synchronously; the sink copies it out at once.
  const buffer = Buffer.alloc(CAP_SNAPLEN);
  let linkType: number;
  try {
    linkType = linkTypeOf(c.open(req.interface, req.filter, req.bufferSize, buffer));
  } catch (e) {
    failedOpens.push(c);
    const err = classifyEngineError(e instanceof Error ? e.message : String(e), 'cap', req);
    throw new EngineError(err, err.code === 'EPERM' || err.code === 'EENGINE');
  }
  const origin = performance.timeOrigin;
  c.on('packet', (nbytes) => {
    const ts = Math.round((origin + performance.now()) * 1000);
    cb.onPacket(ts, originalLength(buffer, nbytes, linkType), linkType, buffer.subarray(0, nbytes));
  });
  let closed = false;
  return {
    engine: 'cap',
    linkType,
    // cap 0.2 does not expose pcap_stats: what the kernel dropped cannot be known, and is never shown as 0.
    dropReporting: 'unknown',
    counters: () => ({}),
    stop: async () => {
      if (closed) return;
      closed = true;
      c.close();
      c.removeAllListeners();
    },
  };
}
