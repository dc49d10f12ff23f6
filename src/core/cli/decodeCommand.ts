// `socket-lab decode FILE.pcap|FILE.pcapng [--json] [--filter EXPR] [--no-reassemble] [--no-analyze-tcp] [--tls-keylog F]`: the packet list (or JSON lines) of a capture file.
import * as fs from 'node:fs';
import { CaptureFormatError, PcapStreamReader } from '../pcap/pcapStreamReader';
import { type DissectedPacket, type Field, DissectContext, dissect } from '../decode/dissect';
import { FilterSyntaxError, compileFilter } from '../decode/displayFilter';
import { TlsKeyLog, readKeyLogFile } from '../tls/tlsDecrypt';
import { type CliIo, OutputClosedError, parseVerbArgs, readOptions, UsageError, write } from './cliIo';

export const decodeUsage = `Usage: socket-lab decode FILE.pcap|FILE.pcapng [--json] [--filter EXPR] [--no-reassemble] [--no-analyze-tcp] [--tls-keylog F]

Decodes a capture file like Wireshark's packet list (No., Time, Source, Destination, Protocol, Length, Info).
  --json          one JSON object per packet and line: number, timestamp, lengths, layers with their fields
                  by Wireshark's display-filter names (tcp.srcport, tcp.flags.syn, ip.ttl, dns.qry.name …)
  --filter, -Y E  show only packets matching a display filter, e.g. "tcp.flags.syn == 1 && tcp.port == 8000"
  --no-reassemble each packet alone, as Wireshark with ip.defragment, ipv6.defragment and
                  tcp.desegment_tcp_streams off; by default (as Wireshark) the fragment completing a datagram
                  carries it whole, and the segment completing an HTTP or DNS-over-TCP message carries that
  --no-analyze-tcp no TCP sequence analysis, as Wireshark with tcp.analyze_sequence_numbers off; by default
                  (as Wireshark) segments are checked for retransmissions, lost and out-of-order segments,
                  duplicate ACKs, window problems and keep-alives ([TCP Retransmission] … in Info, tcp.analysis.*)
  --tls-keylog F  decrypt TLS with the secrets in F (SSLKEYLOGFILE format, as Wireshark's tls.keylog_file):
                  TLS 1.3 and TLS 1.2 with AES-GCM or ChaCha20-Poly1305; what the records carried is decoded
`;

/** The reader of our output went away (`decode f | head -1`): a normal end, not an error. */
/** Output is written in batches of about this many characters, so memory holds one batch, not one file chunk. */
const OUT_BATCH = 64 * 1024;

type FieldValue = string | number | boolean;
type FieldMap = Record<string, FieldValue | FieldValue[]>;

/** Flattens a layer's field tree to `{ "tcp.srcport": 51234, … }`; an id seen twice becomes an array. */
export function fieldMap(fields: readonly Field[]): FieldMap {
  const out: FieldMap = {};
  const visit = (f: Field) => {
    const prev = out[f.id];
    if (prev === undefined) out[f.id] = f.value;
    else if (Array.isArray(prev)) prev.push(f.value);
    else out[f.id] = [prev, f.value];
    if (f.children) for (const c of f.children) visit(c);
  };
  for (const f of fields) visit(f);
  return out;
}

/** The JSON line for one packet (the `--json` contract). */
export function packetJson(pkt: DissectedPacket): Record<string, unknown> {
  return {
    number: pkt.number,
    timestamp: pkt.tsMicros / 1e6,
    tsMicros: pkt.tsMicros,
    length: pkt.length,
    capturedLength: pkt.capturedLength,
    linkType: pkt.linkType,
    source: pkt.summary.source,
    destination: pkt.summary.destination,
    protocol: pkt.summary.protocol,
    info: pkt.summary.info,
    ...(pkt.malformed !== undefined ? { malformed: pkt.malformed } : {}),
    layers: pkt.layers.map((l) => ({
      name: l.name,
      role: l.role,
      title: l.title,
      offset: l.offset,
      length: l.length,
      ...(l.truncated ? { truncated: true } : {}),
      fields: fieldMap(l.fields),
    })),
  };
}

/**
 * One Wireshark-like row; `t0` is the first packet's time in µs, `t0Nanos` its nanoseconds past that (the Time column
 * is relative, as in Wireshark: 9 decimals on a capture stamped in nanoseconds, else 6).
 */
export function packetRow(pkt: DissectedPacket, t0: number, t0Nanos = 0): string {
  const t = pkt.tsNanos === undefined ? ((pkt.tsMicros - t0) / 1e6).toFixed(6) : (((pkt.tsMicros - t0) * 1000 + pkt.tsNanos - t0Nanos) / 1e9).toFixed(9);
  return `${String(pkt.number ?? '').padStart(5)} ${t.padStart(11)} ${pkt.summary.source.padStart(17)} → ${pkt.summary.destination.padEnd(17)} ${pkt.summary.protocol.padEnd(7)} ${String(pkt.length).padStart(5)} ${pkt.summary.info}`;
}

interface DecodeArgs {
  file: string;
  json: boolean;
  filter: string;
  reassemble: boolean;
  analyzeTcp: boolean;
  tlsKeylog?: string;
}

function parseDecodeArgs(argv: string[]): DecodeArgs | { error: string } | 'help' {
  const options = { json: { type: 'boolean' }, filter: { type: 'string', short: 'Y' }, 'no-reassemble': { type: 'boolean' }, 'no-analyze-tcp': { type: 'boolean' }, 'tls-keylog': { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;
  const { values, positionals } = parseVerbArgs('decode', argv, options, (flag) => {
    throw new UsageError(flag === '--tls-keylog' ? '--tls-keylog needs a key log file, e.g. --tls-keylog keys.log' : `${flag} needs a display filter, e.g. --filter "tcp.port == 8000"`);
  });
  if (values.help) return 'help';
  if (positionals.length > 1) return { error: `give one capture file, not "${positionals[0]}" and "${positionals[1]}"` };
  if (!positionals.length) return { error: 'give the capture file to decode: socket-lab decode FILE.pcapng' };
  return { file: positionals[0], json: !!values.json, filter: values.filter ?? '', reassemble: !values['no-reassemble'], analyzeTcp: !values['no-analyze-tcp'], tlsKeylog: values['tls-keylog'] };
}

/** The key log named by --tls-keylog, or a sentence saying why it cannot be used. */
function readKeyLog(file: string): TlsKeyLog | string {
  const log = new TlsKeyLog();
  const r = readKeyLogFile(file, log);
  if ('taken' in r) return log;
  switch (r.why) {
    case 'not-a-file':
      return `the key log ${file} is not a file`;
    case 'too-big':
      return `${file} is too big for a TLS key log (${Math.round(r.size / 1048576)} MB; at most 64 MB)`;
    case 'unreadable':
      return `cannot read the key log ${file}${r.code === 'ENOENT' ? ': no such file — check the path' : `: ${r.code}`}`;
    case 'no-lines':
      return `${file} holds no TLS key log lines (CLIENT_RANDOM …, CLIENT_TRAFFIC_SECRET_0 … as SSLKEYLOGFILE writes them)`;
  }
}

export async function runDecodeCommand(argv: string[], io: CliIo): Promise<number> {
  const args = readOptions('decode', decodeUsage, io, () => parseDecodeArgs(argv));
  if (typeof args === 'number') return args;
  let keep: (p: DissectedPacket) => boolean;
  try {
    keep = compileFilter(args.filter);
  } catch (e) {
    io.err(`socket-lab decode: bad filter: ${e instanceof FilterSyntaxError ? e.message : String(e)}\n`);
    return 2;
  }
  let stream: fs.ReadStream;
  try {
    // Open first so a missing file is one clear sentence, then stream it: files can be larger than memory.
    const fd = fs.openSync(args.file, 'r');
    stream = fs.createReadStream('', { fd, highWaterMark: 256 * 1024 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    io.err(`socket-lab decode: cannot read ${args.file}${code === 'ENOENT' ? ': no such file — check the path' : code === 'EACCES' ? ': permission denied' : `: ${String(e)}`}\n`);
    return 1;
  }
  const reader = new PcapStreamReader();
  const tlsKeyLog = args.tlsKeylog === undefined ? undefined : readKeyLog(args.tlsKeylog);
  if (typeof tlsKeyLog === 'string') {
    io.err(`socket-lab decode: ${tlsKeyLog}\n`);
    return 1;
  }
  const ctx = new DissectContext({ defragment: args.reassemble, desegmentTcp: args.reassemble, analyzeTcp: args.analyzeTcp, tlsKeyLog });
  let n = 0;
  let t0: number | undefined;
  let t0Nanos = 0;
  let batch: string[] = [];
  let batchChars = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const text = batch.join('\n') + '\n';
    batch = [];
    batchChars = 0;
    await write(io, text);
  };
  try {
    // One read at a time, and no more read until the output took what it gave: memory stays one chunk and one batch.
    for await (const chunk of stream) {
      for (const rec of reader.push(chunk as Buffer)) {
        n++;
        const pkt = dissect(rec, ctx, n);
        if (t0 === undefined) {
          t0 = rec.tsMicros;
          t0Nanos = rec.tsNanos ?? 0;
        }
        if (!keep(pkt)) continue;
        const line = args.json ? JSON.stringify(packetJson(pkt)) : packetRow(pkt, t0, t0Nanos);
        batch.push(line);
        batchChars += line.length + 1;
        if (batchChars >= OUT_BATCH) await flush();
      }
      await flush();
    }
    reader.end();
  } catch (e) {
    stream.destroy();
    if (e instanceof OutputClosedError) return 0;
    try {
      await flush();
    } catch (e2) {
      if (e2 instanceof OutputClosedError) return 0;
      throw e2;
    }
    if (e instanceof CaptureFormatError) {
      io.err(`socket-lab decode: ${args.file}: ${e.message}\n`);
      return 1;
    }
    io.err(`socket-lab decode: cannot read ${args.file}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  return 0;
}
