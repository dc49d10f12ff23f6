// Field-by-field agreement of Socket Lab's decoder with tshark on one capture file: every field name our decoder
// emits in the file is asked of `tshark -T json -e …`, and each packet's values are compared in tree order.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { type DissectedPacket, DissectContext, allFields, dissect } from '../src/core/decode/dissect';
import { hexBytes } from '../src/core/decode/format';
import { fieldRegistry, protocolNames } from '../src/core/decode/registry';
import { readCaptureFile } from '../src/core/pcap/pcapReader';
import { TlsKeyLog } from '../src/core/tls/tlsDecrypt';

export interface ProtocolCount {
  compared: number;
  agreeing: number;
  /**
   * Of those, the values that are payload of a protocol Socket Lab does not decode (see `undecodedPayload`): counted
   * in `compared`/`agreeing` too, so the figures exist both ways.
   */
  undecoded: number;
  undecodedAgreeing: number;
}

export interface Disagreement {
  packet: number;
  field: string;
  ours: string[];
  theirs: string[];
}

export interface AgreementResult {
  file: string;
  packets: number;
  /** Field prefix (`tcp`, `dns`, `frame` …) → values compared and agreeing. */
  byProtocol: Map<string, ProtocolCount>;
  /** Field name → values compared and agreeing (`frame.protocols` …). */
  byField: Map<string, ProtocolCount>;
  compared: number;
  agreeing: number;
  /** Packets whose dissection threw or reported a decoder error. */
  crashes: { packet: number; error: string }[];
  disagreements: Disagreement[];
  /** Field names we emit that this tshark does not know (not compared). */
  unknownToTshark: string[];
  /** Protocols tshark names in frame.protocols that Socket Lab does not decode → packets carrying them. */
  undecodedProtocols: Map<string, number>;
  /** Why the file was not compared at all (our reader refused it, tshark failed). */
  skipped?: string;
}

/**
 * tshark's options with reassembly off (each packet alone: both decoders leave an HTTP body or a datagram's fragments
 * where they are); names off.
 */
export const TSHARK_OPTIONS = ['-n', '-o', 'tcp.desegment_tcp_streams:FALSE', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE'];
/**
 * tshark's options with reassembly on (its defaults), in two passes as Wireshark's window shows a capture: a
 * fragment knows the frame its datagram was reassembled in. Ours: dissect every packet, then read the trees.
 */
export const TSHARK_REASSEMBLY_OPTIONS = ['-n', '-2', '-o', 'tcp.desegment_tcp_streams:TRUE', '-o', 'ip.defragment:TRUE', '-o', 'ipv6.defragment:TRUE'];

export interface AgreementOptions {
  maxDisagreements?: number;
  /** Both decoders reassemble (IP fragments, TCP PDUs); default false. */
  reassemble?: boolean;
  /** Both decoders analyse TCP sequence numbers (`tcp.analysis.*`); default true, as Wireshark. */
  analyzeTcp?: boolean;
  /** A key log both decoders decrypt TLS with (tshark's tls.keylog_file). */
  tlsKeyLog?: string;
}

let known: Set<string> | undefined;

/** Every field and protocol filter name this tshark knows. */
export function tsharkNames(): Set<string> {
  if (known !== undefined) return known;
  const names = new Set<string>();
  const f = spawnSync('tshark', ['-G', 'fields'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  for (const line of f.stdout.split('\n')) {
    const c = line.split('\t');
    if (c[0] === 'F' || c[0] === 'P') names.add(c[2]);
  }
  return (known = names);
}

export function hasTshark(): boolean {
  return spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;
}

/** One value in a comparable spelling: booleans and True/False as 1/0, hex integers as decimal. */
function normTheirs(v: string): string {
  if (v === 'True') return '1';
  if (v === 'False') return '0';
  if (/^0x[0-9a-f]+$/i.test(v)) return String(parseInt(v, 16));
  return v;
}

function normOurs(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

/** The epoch time in µs (our record's resolution: a nanosecond pcap's time is compared to the microsecond). */
function timeMicros(v: string): string {
  const [s, f = ''] = v.split('.');
  return `${s}.${f.padEnd(9, '0').slice(0, 6)}`;
}

function same(field: string, ours: string, theirs: string): boolean {
  if (ours === theirs) return true;
  // A valueless field (subtree head): tshark prints its bytes, or for some its name or 1; the latter say "present".
  // A protocol item (ipv6.routing, mptcp) prints its tree text, which starts with its title; its fields say the rest.
  const def = fieldRegistry.get(field);
  if (def?.kind === 'none' && (theirs === field || theirs === '1' || theirs.startsWith(def.label))) return true;
  // An empty bytes field (a zero-length option's data): tshark prints <MISSING>.
  if (def?.kind === 'bytes' && ours === '' && theirs === '<MISSING>') return true;
  if (field === 'frame.time_epoch') return timeMicros(ours) === timeMicros(theirs);
  // A relative time (tcp.analysis.ack_rtt …) is compared to the microsecond, as frame.time_epoch: our records keep
  // microseconds, so from a nanosecond capture the difference of two truncated times is within 1 µs of tshark's.
  if (fieldRegistry.get(field)?.kind === 'time') return Math.abs(Number(ours) - Number(theirs)) < 1e-6;
  // Our bytes values stop at 4096 bytes with an ellipsis.
  if (ours.endsWith('…')) return theirs.startsWith(ours.slice(0, -1));
  return false;
}

function protocolOf(field: string): string {
  const dot = field.indexOf('.');
  return dot < 0 ? field : field.slice(0, dot);
}

/** Our values of each field in one packet, in tree order. */
function ourValues(p: DissectedPacket): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of allFields(p)) {
    let list = out.get(f.id);
    if (list === undefined) out.set(f.id, (list = []));
    // A field without a value (a subtree head such as `tcp.options.mss`): tshark prints its bytes, so compare those.
    const valueless = fieldRegistry.get(f.id)?.kind === 'none';
    list.push(f.id === 'frame.time_epoch' ? (p.tsMicros / 1e6).toFixed(6) : valueless ? hexBytes(f.source !== undefined ? p.sources![f.source].bytes : p.data, f.offset, f.length) : normOurs(f.value));
  }
  return out;
}

/** Dissects `file` with Socket Lab and with tshark and compares every field Socket Lab names, value by value. */
export function compareWithTshark(file: string, opts: AgreementOptions = {}): AgreementResult {
  const reassemble = opts.reassemble === true;
  const analyzeTcp = opts.analyzeTcp !== false;
  const result: AgreementResult = { file, packets: 0, byProtocol: new Map(), byField: new Map(), compared: 0, agreeing: 0, crashes: [], disagreements: [], unknownToTshark: [], undecodedProtocols: new Map() };
  let packets: DissectedPacket[];
  const mine: Map<string, string[]>[] = [];
  try {
    const cap = readCaptureFile(new Uint8Array(fs.readFileSync(file)));
    const tlsKeyLog = opts.tlsKeyLog === undefined ? undefined : new TlsKeyLog();
    tlsKeyLog?.addText(fs.readFileSync(opts.tlsKeyLog!, 'utf8'));
    const ctx = new DissectContext({ defragment: reassemble, desegmentTcp: reassemble, analyzeTcp, tlsKeyLog });
    packets = [];
    const pending: (DissectedPacket | undefined)[] = [];
    cap.packets.forEach((rec, i) => {
      try {
        const p = dissect(rec, ctx, i + 1);
        packets.push(p);
        // With reassembly a tree is read once the pass is over (a fragment then knows where it was reassembled).
        if (reassemble) pending.push(p);
        else mine.push(ourValues(p));
        if (p.malformed?.startsWith('Decoder error')) result.crashes.push({ packet: i + 1, error: p.malformed });
      } catch (e) {
        result.crashes.push({ packet: i + 1, error: e instanceof Error ? e.message : String(e) });
        if (reassemble) pending.push(undefined);
        else mine.push(new Map());
      }
    });
    for (const p of pending) mine.push(p === undefined ? new Map() : ourValues(p));
  } catch (e) {
    result.skipped = `Socket Lab cannot read it: ${e instanceof Error ? e.message : String(e)}`;
    return result;
  }
  result.packets = mine.length;
  const names = tsharkNames();
  const emitted = new Set<string>();
  for (const m of mine) for (const k of m.keys()) emitted.add(k);
  // Every TCP analysis field tshark knows is compared, also those we never emitted in this file (a flag we missed).
  if (analyzeTcp && emitted.has('tcp.srcport')) for (const n of names) if (n.startsWith('tcp.analysis')) emitted.add(n);
  const fields = [...emitted].filter((f) => names.has(f)).sort();
  result.unknownToTshark = [...emitted].filter((f) => !names.has(f)).sort();
  const theirs: Map<string, string[]>[] = [];
  // A long -e list in a few runs keeps each command line and JSON document modest.
  for (let at = 0; at < fields.length; at += 120) {
    const part = fields.slice(at, at + 120);
    const out = spawnSync('tshark', ['-r', file, ...(reassemble ? TSHARK_REASSEMBLY_OPTIONS : TSHARK_OPTIONS), ...(analyzeTcp ? [] : ['-o', 'tcp.analyze_sequence_numbers:FALSE']), ...(opts.tlsKeyLog ? ['-o', `tls.keylog_file:${opts.tlsKeyLog}`] : []), '-T', 'json', ...part.flatMap((f) => ['-e', f])], { encoding: 'utf8', maxBuffer: 1 << 30 });
    if (out.status !== 0 && out.stdout.trim() === '') {
      result.skipped = `tshark failed: ${out.stderr.trim().split('\n')[0]}`;
      return result;
    }
    const docs = JSON.parse(out.stdout || '[]') as { _source: { layers: Record<string, string[]> } }[];
    docs.forEach((d, i) => {
      let m = theirs[i];
      if (m === undefined) theirs[i] = m = new Map();
      for (const [k, v] of Object.entries(d._source.layers)) m.set(k, v);
    });
  }
  if (theirs.length !== mine.length) {
    result.skipped = `tshark read ${theirs.length} packets, Socket Lab ${mine.length}`;
    return result;
  }
  const max = opts.maxDisagreements ?? 200;
  const decoded = decodedProtocols();
  const bump = (into: Map<string, ProtocolCount>, key: string, n: number, ok: number, un: number, unOk: number) => {
    let c = into.get(key);
    if (c === undefined) into.set(key, (c = { compared: 0, agreeing: 0, undecoded: 0, undecodedAgreeing: 0 }));
    c.compared += n;
    c.agreeing += ok;
    c.undecoded += un;
    c.undecodedAgreeing += unOk;
  };
  for (let i = 0; i < mine.length; i++) {
    const foreign = new Set((theirs[i].get('frame.protocols')?.[0] ?? '').split(':').filter((p) => p !== '' && !decoded.has(p)));
    for (const p of foreign) result.undecodedProtocols.set(p, (result.undecodedProtocols.get(p) ?? 0) + 1);
    for (const f of fields) {
      const a = mine[i].get(f) ?? [];
      const b = (theirs[i].get(f) ?? []).map(normTheirs);
      const n = Math.max(a.length, b.length);
      if (n === 0) continue;
      let ok = 0;
      let un = 0;
      let unOk = 0;
      for (let k = 0; k < n; k++) {
        const agrees = k < a.length && k < b.length && same(f, a[k], b[k]);
        if (agrees) ok++;
        if (foreign.size > 0 && undecodedPayload(f, k, a.length)) {
          un++;
          if (agrees) unOk++;
        }
      }
      bump(result.byProtocol, protocolOf(f), n, ok, un, unOk);
      bump(result.byField, f, n, ok, un, unOk);
      result.compared += n;
      result.agreeing += ok;
      if (ok < n && result.disagreements.length < max) result.disagreements.push({ packet: i + 1, field: f, ours: a, theirs: b });
    }
  }
  return result;
}

/** Protocol names Socket Lab's decoder puts in frame.protocols (its declared protocols and Wireshark's pseudo-layers). */
export function decodedProtocols(): Set<string> {
  return new Set([...protocolNames, 'ethertype', 'raw', 'ipv6.hopopts', 'ipv6.routing', 'ipv6.fraghdr', 'ipv6.dstopts', 'mptcp']);
}

/**
 * In a packet where tshark names a protocol Socket Lab does not decode (DECnet, OSPF, BFD, VXLAN …), the values that
 * are that protocol's payload as each side shows it: the protocol list, the undecoded bytes (`data.*`), and the values
 * tshark shows of a field beyond ours (the fields of a packet tunnelled inside: VXLAN's inner Ethernet, MPLS's IP).
 */
function undecodedPayload(field: string, k: number, ours: number): boolean {
  return field === 'frame.protocols' || field === 'data.data' || field === 'data.len' || k >= ours;
}

/** Sums several files' results. */
export function total(results: AgreementResult[]): { byProtocol: Map<string, ProtocolCount>; byField: Map<string, ProtocolCount>; compared: number; agreeing: number; crashes: number; packets: number; undecodedProtocols: Map<string, number> } {
  const byProtocol = new Map<string, ProtocolCount>();
  const byField = new Map<string, ProtocolCount>();
  const undecodedProtocols = new Map<string, number>();
  let compared = 0;
  let agreeing = 0;
  let crashes = 0;
  let packets = 0;
  for (const r of results) {
    packets += r.packets;
    crashes += r.crashes.length;
    compared += r.compared;
    agreeing += r.agreeing;
    for (const [p, n] of r.undecodedProtocols) undecodedProtocols.set(p, (undecodedProtocols.get(p) ?? 0) + n);
    for (const [into, from] of [[byProtocol, r.byProtocol], [byField, r.byField]] as const) {
      for (const [p, c] of from) {
        const t = into.get(p) ?? { compared: 0, agreeing: 0, undecoded: 0, undecodedAgreeing: 0 };
        t.compared += c.compared;
        t.agreeing += c.agreeing;
        t.undecoded += c.undecoded;
        t.undecodedAgreeing += c.undecodedAgreeing;
        into.set(p, t);
      }
    }
  }
  return { byProtocol, byField, compared, agreeing, crashes, packets, undecodedProtocols };
}

/**
 * The per-protocol table as text, both ways: over all values, and over the values on protocols both decode (all but
 * the payload of protocols Socket Lab does not decode, whose own line follows with those protocols listed).
 */
export function formatTable(t: ReturnType<typeof total>): string {
  const pct = (a: number, c: number) => (c === 0 ? '-' : `${((100 * a) / c).toFixed(2)}%`);
  const num = (n: number) => String(n).padStart(8);
  const row = (name: string, c: ProtocolCount) => `  ${name.padEnd(10)} ${num(c.compared)} ${num(c.agreeing)} ${pct(c.agreeing, c.compared).padStart(8)}   ${num(c.compared - c.undecoded)} ${num(c.agreeing - c.undecodedAgreeing)} ${pct(c.agreeing - c.undecodedAgreeing, c.compared - c.undecoded).padStart(8)}`;
  const rows = [...t.byProtocol].sort((x, y) => y[1].compared - x[1].compared);
  const all: ProtocolCount = { compared: t.compared, agreeing: t.agreeing, undecoded: 0, undecodedAgreeing: 0 };
  for (const [, c] of rows) {
    all.undecoded += c.undecoded;
    all.undecodedAgreeing += c.undecodedAgreeing;
  }
  const lines = [
    `  ${''.padEnd(10)} ${'all values'.padEnd(26)}   ${'on protocols both decode'.padEnd(26)}`,
    `  ${'protocol'.padEnd(10)} ${'compared'.padStart(8)} ${'agreeing'.padStart(8)} ${'%'.padStart(8)}   ${'compared'.padStart(8)} ${'agreeing'.padStart(8)} ${'%'.padStart(8)}`,
    ...rows.map(([p, c]) => row(p, c)),
    `${row('all', all)}  (${t.packets} packets, ${t.crashes} crashes)`,
  ];
  if (all.undecoded > 0) {
    const list = [...t.undecodedProtocols].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([p, n]) => `${p} (${n})`);
    lines.push(`  payload of protocols Socket Lab does not decode: ${all.undecoded} values, ${all.undecodedAgreeing} agreeing (${pct(all.undecodedAgreeing, all.undecoded)}); in the packets (count) of: ${list.join(', ')}`);
  }
  return lines.join('\n');
}
