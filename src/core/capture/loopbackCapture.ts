// A capture of `lo` with dumpcap for judging a run from its packets (a lesson exercise, the lesson tests): started
// before the programs, stopped cleanly after them, read back with Socket Lab's own reader and decoder. The capture
// helper (native/) is for the user's captures; this is the small direct way for a bounded run.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { DissectContext, dissect, type DissectedPacket } from '../decode/dissect';
import { findExecutable } from '../pathLookup';
import { readCaptureFile } from '../pcap/pcapReader';

export class LoopbackCapture {
  private stderr = '';

  private constructor(private readonly proc: ChildProcess, readonly file: string) {
    proc.stderr!.on('data', (d) => (this.stderr += d));
  }

  /**
   * Starts dumpcap on `lo` into `file` with the capture filter `bpf`; resolves once it captures, or with why it
   * cannot (not installed, no permission, did not start within 10 s). dumpcap prints "Capturing on" some 160 ms before
   * it has `lo` open and "File: …" once it has, so the latter is the signal. A 64 MiB kernel buffer keeps a burst of
   * 64 KiB loopback segments from being dropped on a busy machine.
   */
  static async start(file: string, bpf: string): Promise<LoopbackCapture | string> {
    if (process.platform !== 'linux') return 'a capture of lo is made on Linux only';
    const dumpcap = await findExecutable('dumpcap');
    if (!dumpcap) return 'dumpcap (Wireshark) is not installed';
    const proc = spawn(dumpcap, ['-i', 'lo', '-B', '64', '-f', bpf, '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.on('error', () => undefined);
    const cap = new LoopbackCapture(proc, file);
    const deadline = Date.now() + 10_000;
    const capturing = () => /^File: /m.test(cap.stderr);
    while (!capturing() && proc.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (capturing()) return cap;
    proc.kill('SIGKILL');
    return proc.exitCode !== null ? `dumpcap cannot capture here: ${cap.stderr.trim().split('\n').pop() ?? ''}` : 'dumpcap did not start within 10 s';
  }

  /** Packets the kernel or dumpcap dropped, from dumpcap's closing report (0 when it printed none). */
  get dropped(): number {
    const m = /received\/dropped on interface '[^']*': \d+\/(\d+)/.exec(this.stderr);
    return m ? Number(m[1]) : 0;
  }

  /** SIGINT after a moment for the last packets (dumpcap then writes its last block and its statistics), SIGKILL if it has not ended within 5 s. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    await new Promise((r) => setTimeout(r, 300));
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGINT');
    await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }

  /** Stops the capture and decodes every packet, in order, with Socket Lab's reader and dissector. */
  async packets(): Promise<DissectedPacket[]> {
    await this.stop();
    const ctx = new DissectContext();
    return readCaptureFile(fs.readFileSync(this.file)).packets.map((rec, i) => dissect(rec, ctx, i + 1));
  }
}
