// socketLab.file.run / socketLab.file.debug: run the active file with Socket Lab watching its sockets and errors.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { chosenPython } from '../pythonInterpreter';
import { ProcessTerminal } from '../processTerminal';
import { OutputErrorScanner, type OutputErrorMatch } from '../../core/analysis/outputErrors';
import { ProgramSession, programCommand, type ProgramLanguage } from '../../core/programs/programSession';
import { ProgramWatch, type ProgramWatchManager } from '../../core/programs/programWatcher';
import { findProcessesRunningFile } from '../../core/ossockets/procProcesses';
import { findListeners } from '../../core/ossockets/socketTable';
import { formatEndpoint } from '../../core/ossockets/types';
import { registerCommand } from '../commands';
import type { SocketCodeLensProvider } from '../editor/socketCodeLensProvider';
import { requireTrust } from '../trust';
import { captureArgs } from '../../core/ossockets/socketText';
import { formatBytes } from '../../shared/format';
import type { SessionManager } from '../../core/sessions/sessionManager';
import type { Session } from '../../core/sessions/session';
import type { CallHints } from '../editor/callHints';
import { CallRecorder, type Recording } from '../editor/callRecorder';
import { debugConfiguration } from '../../core/programs/debugConfig';
import { connectionsText } from './programNodes';

function programLanguage(doc: vscode.TextDocument): ProgramLanguage | undefined {
  switch (doc.languageId) {
    case 'python':
      return 'python';
    case 'javascript':
    case 'javascriptreact':
      return 'javascript';
    case 'typescript':
    case 'typescriptreact':
      return 'typescript';
    default:
      return undefined;
  }
}

async function targetDocument(arg: unknown): Promise<vscode.TextDocument | undefined> {
  const uri = arg instanceof vscode.Uri ? arg : (arg as { uri?: unknown } | undefined)?.uri;
  if (uri instanceof vscode.Uri) return vscode.workspace.openTextDocument(uri);
  if (typeof uri === 'string') return vscode.workspace.openTextDocument(vscode.Uri.file(uri));
  return vscode.window.activeTextEditor?.document;
}

/** The interpreter chosen for this file (setting, else the Python extension's), if any. */
async function pythonInterpreter(doc: vscode.TextDocument): Promise<string | undefined> {
  return (await chosenPython(doc.uri))?.command;
}

function tsxFor(doc: vscode.TextDocument): string | undefined {
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath ?? path.dirname(doc.uri.fsPath);
  const bin = path.join(folder, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');
  return fs.existsSync(bin) ? bin : undefined;
}

/** A debug session Socket Lab started: its watch, its output's error scanner, its recorded calls. */
interface DebugEntry {
  watch: ProgramWatch;
  scanner: OutputErrorScanner;
  doc: vscode.TextDocument;
  session?: vscode.DebugSession;
  recording?: Recording;
}

export class FileRunner implements vscode.Disposable {
  private readonly subs: vscode.Disposable[] = [];
  private readonly running = new Set<ProgramSession>();
  /** Debug sessions we started, by the id we put in their configuration. */
  private readonly debugWatches = new Map<string, DebugEntry>();

  /** The call recorder: the editor's hints and the timeline of each run (socketLab.timeline.recordCalls). */
  readonly recorder = new CallRecorder();

  get hints(): CallHints {
    return this.recorder.hints;
  }

  constructor(private readonly programs: ProgramWatchManager, private readonly lens: SocketCodeLensProvider, private readonly sessions?: SessionManager) {
    this.subs.push(
      vscode.debug.registerDebugAdapterTrackerFactory('*', {
        createDebugAdapterTracker: (session) => {
          const id = this.watchId(session);
          const entry = id ? this.debugWatches.get(id) : undefined;
          if (!entry) return undefined;
          if (!session.parentSession) entry.session = session;
          return {
            onDidSendMessage: (m: { type?: string; event?: string; body?: { systemProcessId?: number; output?: string } }) => {
              if (m.type !== 'event') return;
              if (m.event === 'process' && typeof m.body?.systemProcessId === 'number') entry.watch.attach(m.body.systemProcessId);
              if (m.event === 'output' && typeof m.body?.output === 'string') {
                for (const match of entry.scanner.push(m.body.output)) this.onError(match, entry.watch, entry.doc);
              }
            },
          };
        },
      }),
      vscode.debug.onDidTerminateDebugSession((session) => {
        const id = this.watchId(session);
        const entry = id ? this.debugWatches.get(id) : undefined;
        if (!entry || session.parentSession) return;
        this.debugWatches.delete(id!);
        entry.recording?.end();
        for (const match of entry.scanner.flush()) this.onError(match, entry.watch, entry.doc);
        entry.watch.markExited();
      }),
    );
  }

  private watchId(session: vscode.DebugSession): string | undefined {
    for (let s: vscode.DebugSession | undefined = session; s; s = s.parentSession) {
      const id = (s.configuration as { socketLabWatchId?: unknown }).socketLabWatchId;
      if (typeof id === 'string') return id;
    }
    return undefined;
  }

  async run(arg: unknown, opts: { again?: boolean } = {}): Promise<{ pid?: number } | undefined> {
    if (!requireTrust(vscode.l10n.t('Running a program'))) return undefined;
    const doc = await this.document(arg);
    if (!doc) return undefined;
    // a second copy of a server only meets "Address already in use": ask first
    const first = opts.again ? undefined : this.programs.runningFile(doc.uri.fsPath)[0];
    if (first) {
      const anyway = vscode.l10n.t('Run Anyway');
      const stopFirst = vscode.l10n.t('Stop the First and Run');
      const pick = await vscode.window.showWarningMessage(
        vscode.l10n.t('{0} is already running (pid {1}). A second copy of a server cannot listen on the same port.', first.label, first.displayPid ?? '…'),
        { modal: true },
        stopFirst, // first: the default button is the choice that works for a server
        anyway,
      );
      if (pick === undefined) return undefined;
      if (pick === stopFirst && !(await this.stopWatch(first))) return undefined;
    }
    const lang = programLanguage(doc)!;
    const interp = { python: lang === 'python' ? await pythonInterpreter(doc) : undefined, node: vscode.workspace.getConfiguration('socketLab.node').get<string>('path', '') || undefined, tsx: lang === 'typescript' ? tsxFor(doc) : undefined };
    const cmd = programCommand(doc.uri.fsPath, lang, interp);
    const recording = await this.recorder.start(path.dirname(doc.uri.fsPath), doc.uri.fsPath);
    const program = new ProgramSession(cmd, { cwd: path.dirname(doc.uri.fsPath), env: recording?.env(lang === 'python' ? 'python' : 'node') });
    program.onDidExit(() => recording?.end());
    const pty = new ProcessTerminal({ get running() { return program.running; }, write: (l) => program.write(l), interrupt: () => program.signal('SIGINT'), closed: () => program.dispose() });
    program.onDidOutput((t) => pty.output(t));
    const terminal = vscode.window.createTerminal({ name: vscode.l10n.t('Socket Lab: {0}', path.basename(doc.uri.fsPath)), pty, iconPath: new vscode.ThemeIcon('plug') });
    const watch = this.programs.add(new ProgramWatch({
      label: path.basename(doc.uri.fsPath),
      controls: {
        file: doc.uri.fsPath,
        stop: () => program.dispose(),
        restart: async () => {
          program.dispose();
          await program.whenExited();
          return this.run(doc.uri, { again: true });
        },
        showTerminal: () => terminal.show(false),
      },
    }));
    terminal.show(true);
    if (program.pid !== undefined) watch.attach(program.pid);
    program.onDidStart((pid) => (watch.displayPid = pid));
    program.onDidRecognizeError((m) => this.onError(m, watch, doc));
    program.onDidExit((e) => {
      watch.markExited(e.code, e.signal);
      if (e.error) {
        pty.write(`\r\n${e.error}\r\n`);
        void vscode.window.showErrorMessage(vscode.l10n.t('Could not start {0}: {1}', cmd.command, e.error));
      }
      // the watch reads the table once more after the end: summarise after that read
      setTimeout(() => {
        const s = watch.summary();
        const conns = connectionsText(s);
        const bytes = s.bytesSent === undefined ? '' : s.bytesLowerBound
          ? vscode.l10n.t(', sent at least {0}, received at least {1}', formatBytes(s.bytesSent), formatBytes(s.bytesReceived ?? 0))
          : vscode.l10n.t(', sent {0}, received {1}', formatBytes(s.bytesSent), formatBytes(s.bytesReceived ?? 0));
        pty.write(`\r\n\x1b[2m${vscode.l10n.t('[Socket Lab] {0} exited ({1}): {2}{3}', watch.label, e.signal ?? e.code ?? '?', conns, bytes)}\x1b[0m\r\n`);
      }, 400);
    });
    this.running.add(program);
    const sub = vscode.window.onDidCloseTerminal((t) => {
      if (t !== terminal) return;
      sub.dispose();
      this.running.delete(program);
      program.dispose();
      pty.dispose();
    });
    return { pid: program.pid };
  }

  async debug(arg: unknown): Promise<boolean> {
    if (!requireTrust(vscode.l10n.t('Debugging a program'))) return false;
    const doc = await this.document(arg);
    if (!doc) return false;
    const lang = programLanguage(doc)!;
    const id = `socketLab-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
    if (lang === 'python' && !vscode.extensions.getExtension('ms-python.debugpy') && !vscode.extensions.getExtension('ms-python.python')) {
      const runInstead = vscode.l10n.t('Run without debugging');
      const pick = await vscode.window.showErrorMessage(vscode.l10n.t('Debugging Python needs the Python Debugger extension (ms-python.debugpy). Install it, or run the file without the debugger.'), runInstead);
      if (pick === runInstead) await this.run(doc.uri);
      return false;
    }
    // the debugged program records its calls as Run File's does (the same hints, the same timeline)
    const recording = await this.recorder.start(path.dirname(doc.uri.fsPath), doc.uri.fsPath);
    const config = debugConfiguration({
      file: doc.uri.fsPath, language: lang, name: vscode.l10n.t('Socket Lab: {0}', path.basename(doc.uri.fsPath)), watchId: id,
      tsx: lang === 'typescript' ? tsxFor(doc) : undefined, env: recording?.env(lang === 'python' ? 'python' : 'node'),
    });
    const entry: DebugEntry = { watch: undefined!, scanner: new OutputErrorScanner(), doc, recording };
    const watch = this.programs.add(new ProgramWatch({
      label: path.basename(doc.uri.fsPath),
      controls: {
        file: doc.uri.fsPath,
        stop: () => void (entry.session ? vscode.debug.stopDebugging(entry.session) : undefined),
        restart: async () => {
          if (entry.session) await vscode.debug.stopDebugging(entry.session);
          return this.debug(doc.uri);
        },
      },
    }));
    entry.watch = watch;
    this.debugWatches.set(id, entry);
    const started = await vscode.debug.startDebugging(folder, config);
    if (!started) {
      recording?.end();
      this.debugWatches.delete(id);
      watch.markExited();
      return false;
    }
    // Not every debug adapter reports the process id: find the process running this file.
    void this.findProgramPid(doc.uri.fsPath, watch);
    return true;
  }

  private async findProgramPid(file: string, watch: ProgramWatch): Promise<void> {
    for (let i = 0; i < 120 && watch.pid === undefined && watch.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      if (watch.pid !== undefined) return;
      const [hit] = await findProcessesRunningFile(file, { exclude: (c) => /debugpy[/\\]adapter/.test(c) });
      if (hit) {
        watch.attach(hit.pid);
        return;
      }
    }
  }

  private async document(arg: unknown): Promise<vscode.TextDocument | undefined> {
    const doc = await targetDocument(arg);
    if (!doc || !programLanguage(doc)) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Open a Python, JavaScript or TypeScript file to run it with Socket Lab.'));
      return undefined;
    }
    if (doc.isUntitled) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Save the file first, so it can run from disk.'));
      return undefined;
    }
    if (doc.isDirty) await doc.save();
    return doc;
  }

  private async onError(m: OutputErrorMatch, watch: ProgramWatch, doc: vscode.TextDocument): Promise<void> {
    watch.recordError(m.code);
    const role = m.code === 'EADDRINUSE' ? 'server' : 'client';
    const site = (await this.lens.portsIn(doc, role))[0];
    const port = m.port ?? site?.port;
    const host = m.host || site?.host || '127.0.0.1';
    const whoHolds = vscode.l10n.t('Who holds port {0}?', port ?? '?');
    const startServer = vscode.l10n.t('Start a Socket Lab server on {0}', port ?? '?');
    const capture = vscode.l10n.t('Capture port {0}', port ?? '?');
    let text: string;
    const actions: string[] = [];
    const stopAndRun = vscode.l10n.t('Stop it and run again');
    const holder = m.code === 'EADDRINUSE' && port !== undefined ? await this.socketLabHolder(port, watch) : undefined;
    switch (m.code) {
      case 'EADDRINUSE':
        if (holder) {
          // the answer is known: no "maybe"
          text = holder.kind === 'run'
            ? vscode.l10n.t('Address already in use: port {0} is held by your Socket Lab run of {1} (pid {2}), which is still running.', port!, holder.watch.label, holder.watch.displayPid ?? '?')
            : vscode.l10n.t('Address already in use: port {0} is held by the Socket Lab server {1} (Connections view).', port!, holder.session.label);
          actions.push(stopAndRun);
          break;
        }
        text = port !== undefined
          ? vscode.l10n.t('Address already in use: something already listens on port {0} (maybe an earlier run of this program), or its old connections are in TIME_WAIT and the socket does not set SO_REUSEADDR.', port)
          : vscode.l10n.t('Address already in use: another program (maybe an earlier run of this one) holds the port, or old connections are in TIME_WAIT and the socket does not set SO_REUSEADDR.');
        if (port !== undefined) actions.push(whoHolds);
        break;
      case 'ECONNREFUSED':
        text = port !== undefined
          ? vscode.l10n.t('Connection refused: nothing listens on port {0}. Start the server first, or let a Socket Lab server play it.', port)
          : vscode.l10n.t('Connection refused: nothing listens on that address. Start the server first, or let a Socket Lab server play it.');
        if (port !== undefined) actions.push(startServer);
        break;
      case 'ECONNRESET':
        text = vscode.l10n.t('Connection reset by peer: the other side closed abruptly (it crashed, or closed with unread data), so the OS sent a reset.');
        break;
      case 'EPIPE':
        text = vscode.l10n.t('Broken pipe: the program wrote to a connection the peer had already closed. Check recv() for b"" and stop sending when it comes.');
        break;
    }
    if (port !== undefined) actions.push(capture);
    const pick = await vscode.window.showWarningMessage(`${watch.label}: ${text}`, ...actions);
    if (pick === stopAndRun && holder) {
      const stopped = holder.kind === 'run' ? await this.stopWatch(holder.watch) : await this.closeSession(holder.session);
      if (stopped) await this.run(doc.uri, { again: true });
    } else if (pick === whoHolds && port !== undefined) await this.showHolders(port);
    else if (pick === startServer && port !== undefined) {
      await vscode.commands.executeCommand('socketLab.tcp.startServer', { host: host === 'localhost' || host === '' || host === '0.0.0.0' ? '127.0.0.1' : host, port, mode: 'echo' });
    } else if (pick === capture && port !== undefined) {
      await vscode.commands.executeCommand('socketLab.capture.start', captureArgs(port, 'tcp', host));
    }
  }

  /** A Socket Lab run (other than `self`) or session listening on the port. */
  private async socketLabHolder(port: number, self: ProgramWatch): Promise<{ kind: 'run'; watch: ProgramWatch } | { kind: 'session'; session: Session } | undefined> {
    const runs = this.programs.all().filter((w) => w !== self && w.state === 'running');
    const bySockets = runs.find((w) => w.sockets.some((s) => s.protocol === 'tcp' && s.state === 'LISTEN' && s.localPort === port));
    if (bySockets) return { kind: 'run', watch: bySockets };
    const session = this.sessions?.all().find((s) => s.isAlive && (s.kind === 'tcp-server' || s.kind === 'udp') && s.localPort === port);
    if (session) return { kind: 'session', session };
    // the watch's last read may predate the listener: ask the table
    const holders = await findListeners(port).catch(() => []);
    for (const h of holders) {
      const w = h.pid === undefined ? undefined : runs.find((r) => r.processIds.has(h.pid!));
      if (w) return { kind: 'run', watch: w };
    }
    return undefined;
  }

  /** Stops a run and waits (a few seconds at most) until it has ended. */
  private async stopWatch(w: ProgramWatch): Promise<boolean> {
    w.controls?.stop?.();
    for (let i = 0; i < 60 && w.state === 'running'; i++) await new Promise((r) => setTimeout(r, 100));
    if (w.state === 'running') void vscode.window.showWarningMessage(vscode.l10n.t('{0} did not stop; stop it from its terminal.', w.label));
    return w.state !== 'running';
  }

  private async closeSession(s: Session): Promise<boolean> {
    s.close();
    for (let i = 0; i < 30 && s.isAlive; i++) await new Promise((r) => setTimeout(r, 100));
    return !s.isAlive;
  }

  private async showHolders(port: number): Promise<void> {
    const holders = await findListeners(port);
    const show = vscode.l10n.t('Show in System Sockets');
    let pick: string | undefined;
    if (holders.length === 0) {
      pick = await vscode.window.showInformationMessage(vscode.l10n.t('Nothing listens on port {0} now. If the port was busy with TIME_WAIT connections, set SO_REUSEADDR before bind() or wait a minute.', port), show);
    } else {
      const list = holders.map((h) => (h.pid !== undefined ? vscode.l10n.t('{0} (pid {1}) on {2}', h.command ?? '?', h.pid, formatEndpoint(h.localAddress, h.localPort)) : formatEndpoint(h.localAddress, h.localPort))).join('; ');
      pick = await vscode.window.showInformationMessage(vscode.l10n.t('Port {0} is held by: {1}', port, list), show);
    }
    if (pick === show) await vscode.commands.executeCommand('socketLab.systemSockets.focus');
  }

  dispose(): void {
    for (const s of this.subs.splice(0)) s.dispose();
    for (const p of this.running) p.dispose();
    this.running.clear();
    this.recorder.dispose();
  }
}

export function registerFileRunner(context: vscode.ExtensionContext, programs: ProgramWatchManager, lens: SocketCodeLensProvider, sessions?: SessionManager): FileRunner {
  const runner = new FileRunner(programs, lens, sessions);
  context.subscriptions.push(runner);
  registerCommand(context, 'socketLab.file.run', (arg?: unknown) => runner.run(arg));
  registerCommand(context, 'socketLab.file.debug', (arg?: unknown) => runner.debug(arg));
  // a run's row in Connections / System Sockets, or (palette) the one running program, or a pick among several
  const target = async (arg: unknown, want: 'stop' | 'restart' | 'showTerminal'): Promise<ProgramWatch | undefined> => {
    const w = (arg as { watch?: unknown } | undefined)?.watch;
    if (w instanceof ProgramWatch) return w;
    const candidates = programs.all().filter((p) => p.controls?.[want] && (want === 'restart' || p.state === 'running'));
    if (candidates.length <= 1) {
      if (!candidates.length) void vscode.window.showInformationMessage(vscode.l10n.t('No program run by Socket Lab is running.'));
      return candidates[0];
    }
    const pick = await vscode.window.showQuickPick(
      candidates.map((p) => ({ label: p.label, description: p.state === 'running' ? vscode.l10n.t('running · pid {0}', p.displayPid ?? '…') : vscode.l10n.t('stopped'), p })),
      { title: vscode.l10n.t('Which program?') },
    );
    return pick?.p;
  };
  registerCommand(context, 'socketLab.program.stop', async (arg?: unknown) => (await target(arg, 'stop'))?.controls?.stop?.());
  registerCommand(context, 'socketLab.program.restart', async (arg?: unknown) => {
    await (await target(arg, 'restart'))?.controls?.restart?.();
  });
  registerCommand(context, 'socketLab.program.showTerminal', async (arg?: unknown) => (await target(arg, 'showTerminal'))?.controls?.showTerminal?.());
  return runner;
}
