// `socket-lab follow tcp|udp FILE --stream N [--print text|hex|raw] [--json]`: one conversation's payload, both
// directions in order, as tshark's `-z follow,tcp|udp,ascii|hex|raw,N` prints it (or one JSON line per chunk).
import * as fs from 'node:fs';
import { followCapture, type FollowSummary } from '../follow/captureFollow';
import { FollowPrinter, type FollowPrintMode, followFooter, followHeader } from '../follow/followText';
import type { FollowChunk, FollowProtocol } from '../follow/streamFollower';
import { endpointText } from '../decode/dissect';
import { CaptureFormatError } from '../pcap/pcapStreamReader';
import { type CliIo, OutputClosedError, parseCount, parseVerbArgs, readOptions, UsageError, write } from './cliIo';

export const followUsage = `Usage: socket-lab follow tcp|udp FILE.pcap|FILE.pcapng --stream N [--print text|hex|raw] [--json]

Prints the payload of one TCP or UDP conversation, both directions in capture order, like Wireshark's Follow Stream:
TCP is put in sequence order, retransmitted and overlapping bytes are dropped, and bytes the capture missed but the
peer acknowledged are marked as missing. Streams are numbered as Wireshark's tcp.stream / udp.stream (decode --json).
  --stream N      the stream index, from 0
  --print MODE    text (default; tshark's ascii: each chunk's length, then its printable bytes), hex (a hex dump per
                  chunk) or raw (one hex line per chunk): exactly what tshark -q -z follow,tcp,MODE,N prints;
                  node 1's chunks are indented by a tab
  --json          one JSON object per chunk and line: node (0 sent the first packet), source, frame, offset,
                  length, and bytes as hex, or "gap": true for bytes missing from the capture
`;

interface FollowArgs {
  protocol: FollowProtocol;
  file: string;
  stream: number;
  mode: FollowPrintMode;
  json: boolean;
}

function parseFollowArgs(argv: string[]): FollowArgs | { error: string } | 'help' {
  const options = { stream: { type: 'string' }, print: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
  const { values, positionals } = parseVerbArgs('follow', argv, options);
  if (values.help) return 'help';
  const [protocol, file, extra] = positionals;
  if (protocol !== 'tcp' && protocol !== 'udp') return { error: protocol === undefined ? 'say what to follow: socket-lab follow tcp|udp FILE --stream N' : `cannot follow "${protocol}": use tcp or udp` };
  if (file === undefined) return { error: `give the capture file: socket-lab follow ${protocol} FILE.pcapng --stream N` };
  if (extra !== undefined) return { error: `give one capture file, not "${file}" and "${extra}"` };
  if (values.stream === undefined) return { error: `say which stream with --stream N (socket-lab decode ${file} --json shows each packet's ${protocol}.stream)` };
  const stream = parseCount(values.stream, '--stream') as number;
  if (stream > 0xffffffff) throw new UsageError(`--stream is at most 4294967295, got "${values.stream}"`);
  const mode = values.print ?? 'text';
  if (mode !== 'text' && mode !== 'hex' && mode !== 'raw') return { error: `--print is text, hex or raw, not "${mode}"` };
  if (values.json && values.print !== undefined) return { error: '--json and --print are two formats: give one' };
  return { protocol, file, stream, mode, json: !!values.json };
}

const OUT_BATCH = 256 * 1024;

/** The `--json` line of one chunk. */
export function chunkJson(c: FollowChunk, nodes: FollowSummary['nodes']): string {
  const node = nodes?.[c.node];
  const source = node && endpointText(node);
  if (c.kind === 'gap') return JSON.stringify({ node: c.node, source, frame: c.frame, offset: c.offset, length: c.length, gap: true });
  return JSON.stringify({ node: c.node, source, frame: c.frame, offset: c.offset, length: c.bytes.length, bytes: Buffer.from(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength).toString('hex') });
}

function streamsText(s: FollowSummary): string {
  const name = s.protocol.toUpperCase();
  if (s.streams === 0) return `has no ${name} stream`;
  return `has ${s.streams} ${name} stream${s.streams === 1 ? '' : 's'} (${s.streams === 1 ? 'only 0' : `0 to ${s.streams - 1}`}), not ${s.stream}`;
}

function unreadable(file: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (e instanceof CaptureFormatError) return `${file}: ${e.message}`;
  return `cannot read ${file}${code === 'ENOENT' ? ': no such file — check the path' : code === 'EACCES' ? ': permission denied' : code === 'EISDIR' ? ': it is a folder, not a capture file' : `: ${e instanceof Error ? e.message : String(e)}`}`;
}

export async function runFollowCommand(argv: string[], io: CliIo): Promise<number> {
  const args = readOptions('follow', followUsage, io, () => parseFollowArgs(argv));
  if (typeof args === 'number') return args;
  try {
    fs.accessSync(args.file, fs.constants.R_OK);
  } catch (e) {
    io.err(`socket-lab follow: ${unreadable(args.file, e)}\n`);
    return 2;
  }
  let summary: FollowSummary | undefined;
  const printer = new FollowPrinter(args.mode);
  let headed = false;
  let out = '';
  const header = () => {
    if (headed || args.json) return;
    headed = true;
    out += followHeader(args.protocol, args.mode, args.stream, summary?.nodes);
  };
  try {
    for await (const batch of followCapture(args.file, { protocol: args.protocol, stream: args.stream, signal: io.signal }, (s) => (summary = s))) {
      header();
      for (const c of batch) {
        out += args.json ? `${chunkJson(c, summary?.nodes)}\n` : printer.chunk(c);
        if (out.length >= OUT_BATCH) {
          const text = out;
          out = '';
          await write(io, text);
        }
      }
    }
  } catch (e) {
    if (e instanceof OutputClosedError) return 0;
    if (out) await write(io, out).catch(() => undefined);
    io.err(`socket-lab follow: ${unreadable(args.file, e)}\n`);
    return 2;
  }
  const s = summary as FollowSummary;
  if (args.stream >= s.streams && s.chunks === 0) {
    io.err(`socket-lab follow: ${args.file} ${streamsText(s)}${s.error ? ` (it stops being readable after packet ${s.framesRead}: ${s.error.message})` : ''}\n`);
    return 2;
  }
  header();
  if (!args.json) out += followFooter();
  try {
    await write(io, out);
  } catch (e) {
    if (e instanceof OutputClosedError) return 0;
    throw e;
  }
  if (s.error) {
    io.err(`socket-lab follow: ${args.file} stops being readable after packet ${s.framesRead} (${s.error.message}); the stream up to there is shown\n`);
    return 2;
  }
  return 0;
}
