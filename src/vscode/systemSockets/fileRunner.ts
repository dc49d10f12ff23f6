// socketLab.file.run / socketLab.file.debug: run the active file with Socket Lab watching its sockets and errors.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LineEditor } from '../lineEditor';
import { OutputErrorScanner, type OutputErrorMatch } from '../../core/analysis/outputErrors';
import { ProgramSession, programCommand, supervisorMarker, type ProgramLanguage } from '../../core/ossockets/programSession';
import { ProgramWatch, type ProgramWatchManager } from '../../core/ossockets/programWatcher';
import { findProcessesRunningFile } from '../../core/ossockets/procProcesses';
import { findListeners } from '../../core/ossockets/socketTable';
import { formatEndpoint } from '../../core/ossockets/types';
import { registerCommand } from '../commands';
import type { SocketCodeLensProvider } from '../editor/socketCodeLensProvider';
import { requireTrust } from '../trust';
import { captureArgs, formatBytes } from '../../core/ossockets/socketText';

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

/** The interpreter the Python extension has selected for this file, if it is installed. */
async function pythonInterpreter(doc: vscode.TextDocument): Promise<string | undefined> {
  const configured = vscode.workspace.getConfiguration('socketLab.python').get<string>('path', '');
  if (configured) return configured;
  if (!vscode.extensions.getExtension('ms-python.python')) return undefined;
  try {
    const { PythonExtension } = await import('@vscode/python-extension');
    const api = await PythonExtension.api();
    const env = await api.environments.resolveEnvironment(api.environments.getActiveEnvironmentPath(doc.uri));
    return env?.executable.uri?.fsPath;
  } catch {
    return undefined;
  }
}

function tsxFor(doc: vscode.TextDocument): string | undefined {
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath ?? path.dirname(doc.uri.fsPath);
  const bin = path.join(folder, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');
  return fs.existsSync(bin) ? bin : undefined;
}

/** A terminal the extension owns: output of the program, a line editor for its stdin, Ctrl+C to the process group. */
class ProgramTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writeEmitter.event;
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidClose = this.closeEmitter.event;
  private readonly editor = new LineEditor(
    (t) => this.writeEmitter.fire(t),
    (l) => this.program.write(l),
    () => this.program.signal('SIGINT'),
  );
  /** VS Code drops writes made before open(); keep them (bounded) until then. */
  private pending: string[] | undefined = [];
  private pendingBytes = 0;

  constructor(private readonly program: ProgramSession) {
    program.onDidOutput((t) => this.write(t.replace(/\r?\n/g, '\r\n')));
  }

  open(): void {
    const early = this.pending ?? [];
    this.pending = undefined;
    for (const t of early) this.writeEmitter.fire(t);
  }

  write(text: string): void {
    if (!this.pending) {
      this.writeEmitter.fire(text);
      return;
    }
    if (this.pendingBytes < 1 << 20) {
      this.pending.push(text);
      this.pendingBytes += text.length;
    }
  }

  handleInput(data: string): void {
    if (this.program.running) this.editor.input(data);
  }


  close(): void {
    this.program.dispose();
  }

  dispose(): void {
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }
}

export class FileRunner implements vscode.Disposable {
  private readonly subs: vscode.Disposable[] = [];
  private readonly running = new Set<ProgramSession>();
  /** Debug sessions we started, by the id we put in their configuration. */
  private readonly debugWatches = new Map<string, { watch: ProgramWatch; scanner: OutputErrorScanner; doc: vscode.TextDocument }>();

  constructor(private readonly programs: ProgramWatchManager, private readonly lens: SocketCodeLensProvider) {
    this.subs.push(
      vscode.debug.registerDebugAdapterTrackerFactory('*', {
        createDebugAdapterTracker: (session) => {
          const id = this.watchId(session);
          const entry = id ? this.debugWatches.get(id) : undefined;
          if (!entry) return undefined;
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

  async run(arg: unknown): Promise<{ pid?: number } | undefined> {
    if (!requireTrust(vscode.l10n.t('Running a program'))) return undefined;
    const doc = await this.document(arg);
    if (!doc) return undefined;
    const lang = programLanguage(doc)!;
    const interp = { python: lang === 'python' ? await pythonInterpreter(doc) : undefined, node: vscode.workspace.getConfiguration('socketLab.node').get<string>('path', '') || undefined, tsx: lang === 'typescript' ? tsxFor(doc) : undefined };
    const cmd = programCommand(doc.uri.fsPath, lang, interp);
    const program = new ProgramSession(cmd, { cwd: path.dirname(doc.uri.fsPath) });
    const watch = this.programs.add(new ProgramWatch({ label: path.basename(doc.uri.fsPath) }));
    const pty = new ProgramTerminal(program);
    const terminal = vscode.window.createTerminal({ name: vscode.l10n.t('Socket Lab: {0}', path.basename(doc.uri.fsPath)), pty, iconPath: new vscode.ThemeIcon('plug') });
    terminal.show(true);
    if (program.pid !== undefined) watch.attach(program.pid);
    program.onDidStart((pid) => (watch.displayPid = pid));
    program.onDidRecognizeError((m) => this.onError(m, watch, doc));
    program.onDidExit((e) => {
      watch.markExited(e.code);
      if (e.error) {
        pty.write(`\r\n${e.error}\r\n`);
        void vscode.window.showErrorMessage(vscode.l10n.t('Could not start {0}: {1}', cmd.command, e.error));
      }
      const s = watch.summary();
      const bytes = s.bytesSent !== undefined ? vscode.l10n.t(', sent {0}, received {1}', formatBytes(s.bytesSent), formatBytes(s.bytesReceived ?? 0)) : '';
      pty.write(`\r\n\x1b[2m${vscode.l10n.t('[Socket Lab] {0} exited ({1}): {2} connections{3}', watch.label, e.signal ?? e.code ?? '?', s.connections, bytes)}\x1b[0m\r\n`);
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
    let config: vscode.DebugConfiguration;
    if (lang === 'python') {
      if (!vscode.extensions.getExtension('ms-python.debugpy') && !vscode.extensions.getExtension('ms-python.python')) {
        const runInstead = vscode.l10n.t('Run without debugging');
        const pick = await vscode.window.showErrorMessage(vscode.l10n.t('Debugging Python needs the Python Debugger extension (ms-python.debugpy). Install it, or run the file without the debugger.'), runInstead);
        if (pick === runInstead) await this.run(doc.uri);
        return false;
      }
      // internalConsole: program output arrives as debug-protocol events, where errors can be recognised
      config = { type: 'debugpy', request: 'launch', name: vscode.l10n.t('Socket Lab: {0}', path.basename(doc.uri.fsPath)), program: doc.uri.fsPath, console: 'internalConsole', cwd: path.dirname(doc.uri.fsPath), socketLabWatchId: id };
    } else {
      const tsx = lang === 'typescript' ? tsxFor(doc) : undefined;
      config = { type: 'node', request: 'launch', name: vscode.l10n.t('Socket Lab: {0}', path.basename(doc.uri.fsPath)), program: doc.uri.fsPath, console: 'internalConsole', cwd: path.dirname(doc.uri.fsPath), socketLabWatchId: id, ...(tsx ? { runtimeExecutable: tsx } : lang === 'typescript' ? { runtimeArgs: ['--experimental-strip-types'] } : {}) };
    }
    const watch = this.programs.add(new ProgramWatch({ label: path.basename(doc.uri.fsPath) }));
    this.debugWatches.set(id, { watch, scanner: new OutputErrorScanner(), doc });
    const started = await vscode.debug.startDebugging(folder, config);
    if (!started) {
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
      const [hit] = await findProcessesRunningFile(file, { exclude: (c) => c.includes(supervisorMarker) || /debugpy[/\\]adapter/.test(c) });
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
    switch (m.code) {
      case 'EADDRINUSE':
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
    if (pick === whoHolds && port !== undefined) await this.showHolders(port);
    else if (pick === startServer && port !== undefined) {
      await vscode.commands.executeCommand('socketLab.tcp.startServer', { host: host === 'localhost' || host === '' || host === '0.0.0.0' ? '127.0.0.1' : host, port, mode: 'echo' });
    } else if (pick === capture && port !== undefined) {
      await vscode.commands.executeCommand('socketLab.capture.start', captureArgs(port, 'tcp', host));
    }
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
  }
}

export function registerFileRunner(context: vscode.ExtensionContext, programs: ProgramWatchManager, lens: SocketCodeLensProvider): void {
  const runner = new FileRunner(programs, lens);
  context.subscriptions.push(runner);
  registerCommand(context, 'socketLab.file.run', (arg?: unknown) => runner.run(arg));
  registerCommand(context, 'socketLab.file.debug', (arg?: unknown) => runner.debug(arg));
}
