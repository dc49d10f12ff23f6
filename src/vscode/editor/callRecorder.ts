// The call recorder for programs Socket Lab starts (Run File, Debug File, Run Lesson): a private folder and socket per
// run (core/trace/callTrace.ts), its calls into one CallLog that the editor's hints and the timeline show. Every
// process of a run (a lesson's server and client) records into the same log, so a send on one end links to the recv
// on the other.
import * as vscode from 'vscode';
import { CallLog } from '../../core/trace/callLog';
import { TraceCollector } from '../../core/trace/callTrace';
import { CallHints } from './callHints';

export type RecordedRuntime = 'python' | 'node';

/** The variables a program needs to load the recorder: PYTHONPATH (the shim's sitecustomize first, chaining any other) or NODE_OPTIONS (--require). */
export function recorderEnv(env: NodeJS.ProcessEnv, runtime: RecordedRuntime): Record<string, string> {
  const socket = env.SOCKET_LAB_TRACE_SOCKET ?? '';
  return runtime === 'python'
    ? { PYTHONPATH: env.PYTHONPATH ?? '', SOCKET_LAB_TRACE_SOCKET: socket }
    : { NODE_OPTIONS: env.NODE_OPTIONS ?? '', SOCKET_LAB_TRACE_SOCKET: socket };
}

/** One recorded run: the environment its programs get, the log their calls go to. */
export class Recording {
  private ended = false;

  constructor(
    readonly collector: TraceCollector,
    readonly log: CallLog,
    private readonly forget: (r: Recording) => void,
  ) {}

  env(runtime: RecordedRuntime): Record<string, string> {
    return recorderEnv(this.collector.env, runtime);
  }

  /** The run is over: the last records are read (the programs' connections end with them), then the folder goes. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    void this.collector.drained().then(() => {
      this.forget(this);
      this.collector.dispose();
    });
  }
}

export class CallRecorder implements vscode.Disposable {
  /** Runs still going: their private folders are removed when VS Code quits during a run. */
  private readonly recordings = new Set<Recording>();

  constructor(readonly hints: CallHints = new CallHints()) {}

  /** When the setting allows, a new recorded run whose relative file names start at `cwd`; shown in the editor at once. */
  /** Starts recording a run in `cwd`; `file`: the file run (so a run without socket calls is known as its run). */
  async start(cwd: string, file?: string): Promise<Recording | undefined> {
    if (!vscode.workspace.getConfiguration('socketLab.timeline').get<boolean>('recordCalls', true)) return undefined;
    try {
      const collector = await TraceCollector.start(process.env);
      const log = new CallLog(cwd);
      collector.onRecords((rs) => log.add(rs));
      const recording = new Recording(collector, log, (r) => this.recordings.delete(r));
      this.recordings.add(recording);
      this.hints.show(log, file);
      return recording;
    } catch {
      return undefined; // no private folder or socket: the program runs unrecorded
    }
  }

  dispose(): void {
    for (const r of this.recordings) r.collector.dispose();
    this.recordings.clear();
    this.hints.dispose();
  }
}
