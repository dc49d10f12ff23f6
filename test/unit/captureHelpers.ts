// A capture on `lo` around a lesson run (issue 16): the product's LoopbackCapture (dumpcap filtered to the lesson's
// port), plus what only the tests need: the tools check and tshark's reading of the same file.
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { LoopbackCapture as Capture } from '../../src/core/capture/loopbackCapture';
import type { DissectedPacket } from '../../src/core/decode/dissect';

/** Whether a program is on PATH. */
export const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

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
}
