// A capture on `lo` around a lesson run (issue 16): dumpcap filtered to the lesson's port, started before the
// programs and stopped cleanly after them, read back with Socket Lab's own reader and decoder (or with tshark).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import { DissectContext, dissect, type DissectedPacket } from '../../src/core/decode/dissect';
import { until } from '../support';

/** Whether a program is on PATH. */
export const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** A capture on `lo` with dumpcap, filtered by `filter`. */
export class LoopbackCapture {
  private stderr = '';

  private constructor(private readonly proc: ChildProcess, readonly file: string) {
    proc.stderr!.on('data', (d) => (this.stderr += d));
  }

  /** Why no capture can be taken here (undefined when it can); `tools` are the programs the caller needs. */
  static why(tools: readonly string[] = ['dumpcap', 'tshark']): string | undefined {
    if (process.platform !== 'linux') return 'loopback capture is tested on Linux only';
    const missing = tools.filter((t) => !has(t));
    if (missing.length) return `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed`;
    return undefined;
  }

  /**
   * Starts dumpcap on `lo` into `dir`/lesson.pcapng and resolves once it reports "Capturing on"; a string says why
   * it cannot capture (not installed, no permission, did not start within 10 s). A 64 MiB kernel buffer keeps a
   * burst of 64 KiB loopback segments (a 1 MiB reply) from being dropped on a busy machine.
   */
  static async start(dir: string, filter: string, tools: readonly string[] = ['dumpcap', 'tshark']): Promise<LoopbackCapture | string> {
    const why = LoopbackCapture.why(tools);
    if (why) return why;
    const file = path.join(dir, 'lesson.pcapng');
    const proc = spawn('dumpcap', ['-i', 'lo', '-B', '64', '-f', filter, '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    const cap = new LoopbackCapture(proc, file);
    try {
      await until(() => /Capturing on/.test(cap.stderr) || proc.exitCode !== null, 'dumpcap to start', 10_000);
    } catch {
      proc.kill('SIGKILL');
      return 'dumpcap did not start within 10 s';
    }
    if (proc.exitCode !== null) return `dumpcap cannot capture here: ${cap.stderr.trim().split('\n').pop()}`;
    return cap;
  }

  /** Packets the kernel or dumpcap dropped, from dumpcap's closing report (0 when it printed none). */
  get dropped(): number {
    const m = /received\/dropped on interface '[^']*': \d+\/(\d+)/.exec(this.stderr);
    return m ? Number(m[1]) : 0;
  }

  /** Stops the capture (after a moment for the last packets) and returns `tshark -T fields` rows. */
  async fields(fields: string[], display = '', extra: string[] = []): Promise<string[][]> {
    await this.stop();
    const out = execFileSync('tshark', ['-n', '-r', this.file, ...extra, ...(display ? ['-Y', display] : []), '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return out.split('\n').filter((l) => l.trim()).map((l) => l.split('\t'));
  }

  /** Stops the capture and decodes every packet, in order, with Socket Lab's reader and dissector. */
  async packets(): Promise<DissectedPacket[]> {
    await this.stop();
    const capture = readCaptureFile(fs.readFileSync(this.file));
    const ctx = new DissectContext();
    return capture.packets.map((rec, i) => dissect(rec, ctx, i + 1));
  }

  /** SIGINT (dumpcap then writes its last block and its statistics), SIGKILL if it has not ended within 5 s. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    await new Promise((r) => setTimeout(r, 300));
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGINT');
    await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}
