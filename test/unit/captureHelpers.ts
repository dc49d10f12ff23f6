// A capture on `lo` around a lesson run (issue 16): the product's LoopbackCapture (dumpcap filtered to the lesson's
// port), plus what only the tests need: the tools check, small readers of Socket Lab's decoder (display filter, fields by
// Wireshark name, payloads) and tshark's reading of the same file as a second opinion.
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { LoopbackCapture as Capture } from '../../src/core/capture/loopbackCapture';
import { allFields, findField, type DissectedPacket } from '../../src/core/decode/dissect';
import { compileFilter } from '../../src/core/decode/displayFilter';

/** Whether a program is on PATH. */
export const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** The packets Socket Lab's display filter engine keeps for `expr` (Wireshark syntax). */
export function filter(pkts: readonly DissectedPacket[], expr: string): DissectedPacket[] {
  return pkts.filter(compileFilter(expr));
}

/** The value of a packet's first field named `id` (Wireshark's name), as Socket Lab's decoder gives it. */
export function fieldValue(p: DissectedPacket, id: string): string | number | boolean | undefined {
  return findField(p, id)?.value;
}

/** The bytes of a packet's `tcp.payload` or `udp.payload` field (empty when it has none). */
export function payloadOf(p: DissectedPacket, proto: 'tcp' | 'udp'): Buffer {
  const f = findField(p, `${proto}.payload`);
  return f ? Buffer.from(p.data.subarray(f.offset, f.offset + f.length)) : Buffer.alloc(0);
}

/** One field's values as `tshark -T fields` prints them, in a form both sides share (flags 1/0, hex numbers decimal). */
function norm(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  const s = String(v);
  if (s === 'True' || s === 'False') return s === 'True' ? '1' : '0';
  return /^0x[0-9a-f]+$/i.test(s) ? String(parseInt(s, 16)) : s;
}

/** A capture on `lo` with dumpcap, filtered by `filter`. */
export class LoopbackCapture {
  private constructor(private readonly cap: Capture) {}

  /** Why no capture can be taken here (undefined when it can); `tools` are the programs the caller needs. */
  static why(tools: readonly string[] = ['dumpcap', 'tshark']): string | undefined {
    if (process.platform !== 'linux') return 'loopback capture is tested on Linux only';
    const missing = tools.filter((t) => !has(t));
    if (missing.length) return `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed`;
    return undefined;
  }

  /** Starts dumpcap on `lo` into `dir`/lesson.pcapng once it captures; a string says why it cannot. */
  static async start(dir: string, filter: string, tools: readonly string[] = ['dumpcap', 'tshark']): Promise<LoopbackCapture | string> {
    const why = LoopbackCapture.why(tools);
    if (why) return why;
    const cap = await Capture.start(path.join(dir, 'lesson.pcapng'), filter);
    return typeof cap === 'string' ? cap : new LoopbackCapture(cap);
  }

  get file(): string {
    return this.cap.file;
  }

  get dropped(): number {
    return this.cap.dropped;
  }

  stop(): Promise<void> {
    return this.cap.stop();
  }

  packets(): Promise<DissectedPacket[]> {
    return this.cap.packets();
  }

  /** Stops the capture and returns `tshark -T fields` rows. */
  async fields(fields: string[], display = '', extra: string[] = []): Promise<string[][]> {
    await this.stop();
    const out = execFileSync('tshark', ['-n', '-r', this.file, ...extra, ...(display ? ['-Y', display] : []), '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return out.split('\n').filter((l) => l.trim()).map((l) => l.split('\t'));
  }

  /**
   * tshark, the project's oracle for decoding, as a second opinion on `pkts` (this capture through Socket Lab's
   * decoder): the same frames, and per frame the same values of `fields`. Returns the disagreements, one line each.
   */
  async tsharkDisagrees(pkts: readonly DissectedPacket[], fields: string[]): Promise<string[]> {
    const rows = await this.fields(['frame.number', ...fields]);
    const out: string[] = [];
    if (rows.length !== pkts.length) out.push(`tshark reads ${rows.length} frames, Socket Lab ${pkts.length}`);
    for (const [i, p] of pkts.entries()) {
      const row = rows.find((r) => r[0] === String(p.number ?? i + 1));
      if (!row) continue;
      const all = [...allFields(p)];
      for (const [j, id] of fields.entries()) {
        const ours = all.filter((f) => f.id === id).map((f) => norm(f.value)).join(',');
        const theirs = (row[j + 1] ?? '').split(',').filter((x) => x !== '').map(norm).join(',');
        if (ours !== theirs) out.push(`frame ${row[0]} ${id}: tshark ${theirs || '(none)'}, Socket Lab ${ours || '(none)'}`);
      }
    }
    return out;
  }
}
