// Lessons in VS Code: the Lessons view, socketLab.lesson.* commands, terminals for lesson programs, Socket Lab as the peer.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { copyLessonFiles, lessonLanguage, loadLessonCatalog, mainFile, type Lesson, type LessonCatalog, type LessonExercise } from '../../core/lessons/lessonCatalog';
import type { LessonProcess } from '../../core/lessons/lessonProcess';
import {
  chooseAddress, describeAddress, findFreePort, findLessonCopy, lessonCapturePlan, LessonRunError, LessonRunManager, LOOPBACK, waitForServer,
  type LessonAddress, type LessonSide,
} from '../../core/lessons/lessonRunner';
import { ProgramWatch, type ProgramWatchManager } from '../../core/programs/programWatcher';
import type { SessionManager, Session } from '../../core/sessions/sessionManager';
import { markDone, registerCommand } from '../commands';
import { requireTrust } from '../trust';
import { LESSON_SCHEME, LessonFileSystemProvider } from './lessonFileSystem';
import { LessonProgress, LessonsProvider, lessonTitle, readmeName } from './lessonsView';
import { findPython } from '../pythonInterpreter';
import { createLessonTerminal } from './lessonTerminal';
import type { SessionPanelManager } from '../panels/sessionPanel';
import { checkExercise, checkReport } from '../../core/lessons/lessonCheck';
import type { CallLog } from '../../core/trace/callLog';
import type { CallRecorder, Recording } from '../editor/callRecorder';

type Args = { id?: unknown; folder?: unknown; lesson?: { id?: unknown } } | string | undefined;

/** One sentence per runner error code, in the user's language. */
function runErrorMessage(e: unknown): string {
  if (e instanceof LessonRunError) {
    switch (e.code) {
      case 'EEXITED':
        return vscode.l10n.t('The lesson server ended before it was ready; read its terminal for the reason.');
      case 'ETIMEDOUT':
        return vscode.l10n.t('The lesson server did not start listening in time; read its terminal for the reason.');
      case 'ENOPORT':
        return vscode.l10n.t('No free port on 127.0.0.1. Stop some running servers and try again.');
      case 'ENOSIDE':
        return vscode.l10n.t('This lesson has no program for that side.');
      default:
        return e.message;
    }
  }
  const err = e as { code?: string; message?: string };
  return err?.message ?? String(e);
}

export class LessonController implements vscode.Disposable {
  private catalog: LessonCatalog | undefined;
  readonly runs = new LessonRunManager();
  readonly progress: LessonProgress;
  readonly provider: LessonsProvider;
  private readonly terminals = new Map<string, vscode.Terminal>();
  private readonly peerSessions = new Map<string, Session[]>();
  private readonly subs: vscode.Disposable[] = [];
  /** Each lesson's recorded run still going (both its programs record into it), and its latest recorded calls. */
  private readonly recordings = new Map<string, Recording>();
  private readonly lessonCalls = new Map<string, CallLog>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly sessions: SessionManager | undefined,
    private readonly programs: ProgramWatchManager | undefined,
    private readonly panels: SessionPanelManager | undefined,
    private readonly recorder?: CallRecorder,
  ) {
    this.progress = new LessonProgress(context.globalState);
    this.provider = new LessonsProvider(() => this.lessons(), this.runs, this.progress);
    this.subs.push(
      { dispose: () => this.runs.dispose() },
      this.progress,
      this.provider,
    );
    this.runs.onDidChange(() => this.provider.refresh());
    this.runs.onDidEnd((id) => {
      void this.stopCaptureOf(id);
      this.endRecording(id);
    });
    this.progress.onDidChange(() => this.provider.refresh());
  }

  get root(): string {
    return path.join(this.context.extensionPath, 'lessons');
  }

  /** Read lazily: activation never scans the lessons folder. */
  lessons(): Lesson[] {
    if (!this.catalog) {
      this.catalog = loadLessonCatalog(this.root);
      for (const p of this.catalog.problems) console.warn(`Socket Lab: lesson ${p.dir}: ${p.errors.join('; ')}`);
    }
    return this.catalog.lessons;
  }

  /** The lesson named by a command argument ({id}, an id string, a tree node), or one the user picks. */
  /** The lesson an argument names, or one the user picks; `running`: only among running lessons (Stop Lesson). */
  async pick(arg: Args, running = false): Promise<Lesson | undefined> {
    const id = typeof arg === 'string' ? arg : typeof arg?.id === 'string' ? arg.id : typeof arg?.lesson?.id === 'string' ? arg.lesson.id : undefined;
    const lang = lessonLanguage(vscode.env.language);
    if (id !== undefined) {
      const found = this.lessons().find((l) => l.id === id);
      if (!found) void vscode.window.showErrorMessage(vscode.l10n.t('There is no lesson "{0}". Pick one in the Lessons view.', id));
      return found;
    }
    const candidates = running ? this.lessons().filter((l) => this.hasSomethingToStop(l.id)) : this.lessons();
    if (running && candidates.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No lesson is running.'));
      return undefined;
    }
    const choice = await vscode.window.showQuickPick(
      candidates.map((l) => ({ label: lessonTitle(l), description: l.summary[lang], lesson: l })),
      { title: vscode.l10n.t('Pick a lesson'), matchOnDescription: true, ignoreFocusOut: true },
    );
    return choice?.lesson;
  }

  // ---------- open ----------

  async open(lesson: Lesson): Promise<void> {
    markDone('openLesson'); // a lesson was chosen (a cancelled pick never gets here)
    for (const f of lesson.files.filter((x) => x.role !== 'helper')) {
      await vscode.window.showTextDocument(LessonFileSystemProvider.uri(lesson.id, f.path), { preview: false, preserveFocus: true });
    }
    await this.showReadme(LessonFileSystemProvider.uri(lesson.id, readmeName()));
  }

  private async showReadme(uri: vscode.Uri): Promise<void> {
    try {
      await vscode.commands.executeCommand('markdown.showPreview', uri);
    } catch {
      await vscode.window.showTextDocument(uri, { preview: false });
    }
  }

  /** Copies the lesson into `<folder>/<lesson id>/`, never overwriting a file that is already there. */
  async copy(lesson: Lesson, folder?: string): Promise<void> {
    if (!folder) {
      const picked = await vscode.window.showOpenDialog({
        canSelectFiles: false, canSelectFolders: true, canSelectMany: false,
        openLabel: vscode.l10n.t('Copy Lesson Here'),
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      });
      folder = picked?.[0]?.fsPath;
      if (!folder) return;
    }
    const dest = path.join(folder, lesson.id);
    let result: { copied: string[]; kept: string[] };
    try {
      result = copyLessonFiles(lesson, dest);
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not copy the lesson to {0}: {1}', dest, (e as Error).message));
      return;
    }
    for (const f of lesson.files.filter((x) => x.role !== 'helper')) {
      await vscode.window.showTextDocument(vscode.Uri.file(path.join(dest, f.path)), { preview: false, preserveFocus: true });
    }
    await this.showReadme(vscode.Uri.file(path.join(dest, readmeName())));
    const [copied, kept] = [result.copied.length, result.kept.length];
    void vscode.window.showInformationMessage(kept
      ? vscode.l10n.t('Copied {0} files to {1}; {2} files that were already there were left unchanged.', copied, dest, kept)
      : vscode.l10n.t('Copied {0} files to {1}.', copied, dest));
  }

  // ---------- Check My Solution ----------

  private checkOutput: vscode.OutputChannel | undefined;

  /** Where the learner's copy is: `dir` if given, else a `<lesson id>` folder of the workspace (Copy Lesson's place). */
  private async solutionFolder(lesson: Lesson, x: LessonExercise, dir: unknown): Promise<string | undefined> {
    if (typeof dir === 'string') return dir;
    const program = (x.run === 'program' ? x.program : lesson.files.find((f) => f.role === x.run)?.path) ?? '';
    const found = findLessonCopy(lesson, workspacePaths(), program);
    if (found) return found;
    const copyFirst = vscode.l10n.t('Copy the Lesson First');
    const pick = vscode.l10n.t('Pick the Folder…');
    const answer = await vscode.window.showInformationMessage(
      vscode.l10n.t('Check My Solution runs your copy of "{0}": no folder named {1} with {2} is open. Copy the lesson into your workspace, change it, then check.', lessonTitle(lesson), lesson.id, program),
      copyFirst,
      pick,
    );
    if (answer === copyFirst) await this.copy(lesson);
    if (answer !== pick) return undefined;
    const picked = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: vscode.l10n.t('Check This Folder') });
    return picked?.[0]?.fsPath;
  }

  /** Runs the learner's copy against an exercise's checker; pass or fail with the evidence in the output. */
  async check(lesson: Lesson, exerciseId: unknown, dir: unknown): Promise<boolean | undefined> {
    if (!requireTrust(vscode.l10n.t('Checking a solution'))) return undefined;
    const lang = lessonLanguage(vscode.env.language);
    let x = lesson.exercises.find((e) => e.id === exerciseId);
    if (!x) {
      if (lesson.exercises.length === 0) {
        void vscode.window.showInformationMessage(vscode.l10n.t('"{0}" has no exercises yet.', lessonTitle(lesson)));
        return undefined;
      }
      x = (await vscode.window.showQuickPick(lesson.exercises.map((e) => ({ label: e.title[lang], description: e.id, detail: e.task[lang], e })), { title: vscode.l10n.t('Check which exercise?') }))?.e;
      if (!x) return undefined;
    }
    const folder = await this.solutionFolder(lesson, x, dir);
    if (!folder) return undefined;
    const python = await findPython(vscode.Uri.file(folder));
    if (!python) return undefined;
    const exercise = x;
    const title = vscode.l10n.t('Checking exercise {0} of "{1}"…', exercise.id, lessonTitle(lesson));
    try {
      const ac = new AbortController();
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_p, token) => {
        token.onCancellationRequested(() => ac.abort());
        return checkExercise(lesson, exercise, { interpreter: python.interpreter, dir: folder, signal: ac.signal });
      });
      if (r.unavailable) {
        void vscode.window.showWarningMessage(vscode.l10n.t('Exercise {0} of "{1}" cannot be judged here: {2}.', exercise.id, lessonTitle(lesson), r.unavailable));
        return undefined;
      }
      if (r.cancelled || ac.signal.aborted) {
        void vscode.window.showInformationMessage(vscode.l10n.t('Check cancelled: exercise {0} of "{1}" was not judged.', exercise.id, lessonTitle(lesson)));
        return undefined;
      }
      if (r.missing) {
        // nothing ran: the folder lacks the program (a folder picked by hand); not a fail of the exercise
        void vscode.window.showWarningMessage(r.evidence[0]?.[lang] ?? vscode.l10n.t('{0} is not in {1}.', r.missing, folder));
        return undefined;
      }
      this.provider.checked.set(`${lesson.id}/${exercise.id}`, r.pass);
      this.provider.refresh();
      this.checkOutput ??= vscode.window.createOutputChannel('Socket Lab Lessons');
      this.checkOutput.appendLine(`— ${folder}`);
      this.checkOutput.appendLine(checkReport(r, lang));
      if (r.output.trim()) this.checkOutput.appendLine(`${vscode.l10n.t('Output of your program:')}\n${r.output.trimEnd()}`);
      const show = vscode.l10n.t('Show Evidence');
      const message = r.pass
        ? vscode.l10n.t('Exercise {0} of "{1}": passed.', exercise.id, lessonTitle(lesson))
        : vscode.l10n.t('Exercise {0} of "{1}": not passed — {2}', exercise.id, lessonTitle(lesson), r.evidence.find((e) => e[lang].trimStart().startsWith('✗'))?.[lang].trim() ?? r.evidence[0]?.[lang] ?? '');
      void (r.pass ? vscode.window.showInformationMessage(message, show) : vscode.window.showWarningMessage(message, show)).then((p) => p === show && this.checkOutput?.show(true));
      return r.pass;
    } catch (e) {
      void vscode.window.showErrorMessage(runErrorMessage(e));
      return undefined;
    }
  }

  // ---------- run ----------

  /** Where the lesson's programs meet: the running server's address, Socket Lab's peer server, or a fresh one. */
  private async addressFor(lesson: Lesson, sides: LessonSide[]): Promise<LessonAddress> {
    const run = this.runs.get(lesson.id);
    if (!sides.includes('server')) {
      if (run?.server?.isRunning) return run.address;
      const peer = this.peerSessions.get(lesson.id)?.find((s) => s.isAlive && (s.kind === 'tcp-server' || s.kind === 'unix-server' || s.kind === 'udp'));
      if (peer) return peer.path ? { unixPath: peer.path } : { port: peer.localPort };
      if (run?.address.port !== undefined || run?.address.unixPath) return run.address;
    }
    return chooseAddress(lesson);
  }

  /**
   * Runs the lesson's programs: from the learner's copy in the workspace when there is one (found as Check My
   * Solution finds it), else as shipped. `program`: one file of the lesson as the client side (Run with Capture).
   */
  async run(lesson: Lesson, requested: LessonSide[], at?: LessonAddress, program?: { path: string; args: string[] }): Promise<void> {
    if (!requireTrust(vscode.l10n.t('Running a lesson'))) return;
    // "both" on a lesson with one program (names and addresses) runs that one
    const present = requested.filter((side) => lesson.files.some((f) => f.role === side));
    const sides = program ? ['client' as const] : present.length ? present : requested;
    const files = program ? [program.path] : sides.map((side) => mainFile(lesson, side)?.path ?? '');
    const copy = files.map((f) => findLessonCopy(lesson, workspacePaths(), f)).find((d) => d !== undefined);
    try {
      const address = at ?? (await this.addressFor(lesson, sides));
      if (sides.includes('server') && lesson.confirm) {
        const start = vscode.l10n.t('Start');
        const answer = await vscode.window.showWarningMessage(
          vscode.l10n.t('Start the server of "{0}" on {1}? Any program on this computer can connect to it and run the commands on its allow-list until it stops itself after 3 minutes.', lessonTitle(lesson), describeAddress(address)),
          { modal: true },
          start,
        );
        if (answer !== start) return;
      }
      const python = await findPython(vscode.Uri.file(copy ?? lesson.dir));
      if (!python) return;
      const minutes = vscode.workspace.getConfiguration('socketLab.lessons').get<number>('timeoutMinutes', 15);
      const recording = await this.recordingFor(lesson, sides, copy ?? lesson.dir);
      await this.runs.start(lesson, sides, {
        interpreter: python.interpreter,
        env: recording?.env('python'),
        port: address.port,
        unixPath: address.unixPath,
        timeoutMs: Math.max(1, minutes) * 60_000,
        dir: copy,
        program,
      }, (side, proc, addr) => this.attach(lesson, side, proc, addr));
    } catch (e) {
      if (!this.runs.isRunning(lesson.id)) this.endRecording(lesson.id);
      void vscode.window.showErrorMessage(runErrorMessage(e));
    }
  }

  /**
   * The recorded run the lesson's programs join: a client started beside its running server joins the server's, so
   * the client's sends link to the server's recvs; anything else starts a new one (the editor's hints and the timeline
   * show it). Nothing when recording is off.
   */
  private async recordingFor(lesson: Lesson, sides: LessonSide[], cwd: string): Promise<Recording | undefined> {
    const current = this.recordings.get(lesson.id);
    if (current && !sides.includes('server') && this.runs.get(lesson.id)?.server?.isRunning) return current;
    this.endRecording(lesson.id);
    const recording = await this.recorder?.start(cwd);
    if (recording) {
      this.recordings.set(lesson.id, recording);
      this.lessonCalls.set(lesson.id, recording.log);
    }
    return recording;
  }

  private endRecording(lessonId: string): void {
    this.recordings.get(lessonId)?.end();
    this.recordings.delete(lessonId);
  }

  /** A "what to watch" item of the timeline: the latest recorded run of the lesson, or how to make one. */
  private async showTimeline(lesson: Lesson): Promise<void> {
    const log = this.lessonCalls.get(lesson.id);
    const server = mainFile(lesson, 'server')?.path;
    const file = log?.files.find((f) => path.basename(f) === server) ?? log?.files[0];
    if (file) {
      await vscode.commands.executeCommand('socketLab.timeline.show', { file });
      return;
    }
    const run = vscode.l10n.t('Run Lesson');
    const answer = await vscode.window.showInformationMessage(vscode.l10n.t('The timeline shows the socket calls of a run of the lesson: run it first, then click this again.'), run);
    if (answer === run) await this.run(lesson, ['server', 'client']);
  }

  /** A terminal for the program, its sockets watched in the System Sockets view, "done" when a client succeeds. */
  private attach(lesson: Lesson, side: LessonSide, proc: LessonProcess, address: LessonAddress): void {
    const key = `${lesson.id}:${side}`;
    this.terminals.get(key)?.dispose();
    const role = proc.options.file === path.join(proc.options.cwd, mainFile(lesson, side)?.path ?? '')
      ? side === 'server' ? vscode.l10n.t('server') : vscode.l10n.t('client')
      : path.basename(proc.options.file);
    const name = `${lessonTitle(lesson)} · ${role} ${describeAddress(address)}`.trim();
    // the learner must see whether their copy runs or the lesson as shipped
    const where = proc.options.cwd === lesson.dir
      ? vscode.l10n.t('Running the lesson as shipped (read-only): {0}', lesson.dir)
      : vscode.l10n.t('Running your copy: {0}', proc.options.cwd);
    this.terminals.set(key, createLessonTerminal(proc, name, where));
    if (this.programs && proc.pid !== undefined) {
      const watch = this.programs.add(new ProgramWatch({ label: name }));
      watch.attach(proc.pid);
      proc.onDidExit((e) => watch.markExited(e.code, e.signal));
    }
    if (side === 'client') {
      proc.onDidExit((e) => {
        if (e.code === 0 && !e.reason) void this.progress.markDone(lesson.id);
      });
    }
  }

  /** A lesson's programs run, or Socket Lab still plays its other side. */
  private hasSomethingToStop(id: string): boolean {
    return this.runs.isRunning(id) || (this.peerSessions.get(id) ?? []).some((s) => s.state !== 'closed' && s.state !== 'failed');
  }

  async stop(lesson: Lesson): Promise<void> {
    await this.runs.stop(lesson.id);
    for (const s of this.peerSessions.get(lesson.id) ?? []) s.close();
    this.peerSessions.delete(lesson.id);
    // the lesson's capture stops too; its packets stay for the "what to watch" links
    const captureId = this.lessonCaptures.get(lesson.id);
    if (captureId) await Promise.resolve(vscode.commands.executeCommand('socketLab.capture.stop', { captureId })).catch(() => undefined);
    this.provider.refresh();
  }

  // ---------- Socket Lab as the other side ----------

  async playPeer(lesson: Lesson): Promise<void> {
    if (!requireTrust(vscode.l10n.t('Playing the other side of a lesson'))) return;
    const { plays, transport, mode, count } = lesson.peer;
    if (!plays.length) {
      void vscode.window.showInformationMessage(vscode.l10n.t('In "{0}" Socket Lab cannot take a side; run the lesson\'s programs and watch them instead.', lessonTitle(lesson)));
      return;
    }
    if (!this.sessions) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Socket Lab\'s sessions are not available in this window; reload the window and try again.'));
      return;
    }
    const sessions = this.sessions;
    const run = this.runs.get(lesson.id);
    // the lesson server runs (or only a client is possible): Socket Lab connects as the client
    const asClient = plays.includes('client') && (run?.server?.isRunning || !plays.includes('server'));
    try {
      const opened: Session[] = [];
      if (asClient) {
        if (!run?.server?.isRunning) {
          await this.run(lesson, ['server']);
          const now = this.runs.get(lesson.id);
          if (!now?.server?.isRunning) return;
          await waitForServer(lesson, now.server, now.address);
        }
        const address = this.runs.get(lesson.id)!.address;
        for (let i = 0; i < (count ?? 1); i++) {
          if (transport === 'unix') opened.push(await sessions.connectUnix({ path: address.unixPath! }));
          else if (transport === 'udp') opened.push(await sessions.openUdp({ remoteHost: LOOPBACK, remotePort: address.port }));
          else opened.push(await sessions.connectTcp({ host: LOOPBACK, port: address.port! }));
        }
      } else {
        const address = await chooseAddress(lesson);
        if (transport === 'unix') opened.push(await sessions.startUnixServer({ path: address.unixPath!, mode }));
        else if (transport === 'udp') opened.push(await sessions.openUdp({ host: LOOPBACK, port: address.port, mode }));
        else opened.push(await sessions.startTcpServer({ host: LOOPBACK, port: address.port!, mode }));
        void vscode.window.showInformationMessage(vscode.l10n.t('Socket Lab listens on {0} ({1}); run the lesson\'s client (Run Client) to talk to it.', describeAddress(address), mode ?? 'manual'));
      }
      this.peerSessions.set(lesson.id, [...(this.peerSessions.get(lesson.id) ?? []).filter((s) => s.isAlive), ...opened]);
      this.provider.refresh();
      if (opened[0]) this.panels?.open(opened[0].id);
    } catch (e) {
      void vscode.window.showErrorMessage(runErrorMessage(e));
    }
  }

  /**
   * Run Lesson with Capture: the capture on lo starts first, so it holds the handshake too. A TCP/UDP lesson runs its
   * server and client under `<transport> port N`; a lesson without that pair runs its program exercise's program
   * under that exercise's filter (ping: `icmp`). The capture stops when the run ends (runs.onDidEnd).
   */
  async runWithCapture(lesson: Lesson): Promise<void> {
    if (!requireTrust(vscode.l10n.t('Running a lesson'))) return;
    const plan = lessonCapturePlan(lesson);
    if (!plan) {
      void vscode.window.showInformationMessage(lesson.transport === 'unix'
        ? vscode.l10n.t('Unix domain sockets never cross a network interface (not even lo), so no capture can show this lesson; watch its terminals and the System Sockets view instead.')
        : vscode.l10n.t('This lesson does not use IP ports, so there is nothing to capture on the network.'));
      return;
    }
    let address: LessonAddress;
    try {
      address = plan.program
        ? plan.needsPort ? { port: await findFreePort(lesson.defaultPort ?? 0) } : {}
        : await this.addressFor(lesson, ['server', 'client']);
    } catch (e) {
      void vscode.window.showErrorMessage(runErrorMessage(e));
      return;
    }
    const iface = process.platform === 'linux' ? 'lo' : process.platform === 'darwin' ? 'lo0' : undefined;
    // the capture command explains its own failure (no permission, no engine); without a capture nothing runs
    const started = await vscode.commands.executeCommand<{ captureId: string } | undefined>('socketLab.capture.start', { interface: iface, filter: plan.filter(address.port) });
    if (!started) return;
    this.lessonCaptures.set(lesson.id, started.captureId);
    await this.run(lesson, ['server', 'client'], address, plan.program?.(address.port));
    // nothing started (no Python, a refused confirmation): the capture has nothing to wait for
    if (!this.runs.isRunning(lesson.id)) await this.stopCaptureOf(lesson.id, 0);
  }

  /** Stops the lesson's capture once its run is over (its packets stay for the "what to watch" links). */
  private async stopCaptureOf(lessonId: string, graceMs = 1000): Promise<void> {
    const captureId = this.lessonCaptures.get(lessonId);
    if (!captureId) return;
    // the last packets (FIN, ACK) are still on their way through lo and the capture engine's buffer
    if (graceMs) await new Promise((r) => setTimeout(r, graceMs));
    if (this.runs.isRunning(lessonId) || this.lessonCaptures.get(lessonId) !== captureId) return; // a new run took over
    await Promise.resolve(vscode.commands.executeCommand('socketLab.capture.stop', { captureId })).catch(() => undefined);
  }

  /** The lesson's latest capture, for its "what to watch" links. */
  private readonly lessonCaptures = new Map<string, string>();

  /** Opens the lesson's capture filtered to what a "what to watch" item is about. */
  async showEvidence(lesson: Lesson, index: unknown): Promise<void> {
    const i = typeof index === 'number' ? index : Number(index);
    if (lesson.watch.timeline?.[i]) return this.showTimeline(lesson);
    const filter = lesson.watch.filters?.[i];
    if (!filter) return;
    const captureId = this.lessonCaptures.get(lesson.id);
    if (captureId && (await vscode.commands.executeCommand<boolean | undefined>('socketLab.capture.openPanel', { captureId, filter })) === true) return;
    const run = vscode.l10n.t('Run Lesson with Capture');
    const answer = await vscode.window.showInformationMessage(vscode.l10n.t('The evidence is in a capture of the lesson: run it with a capture first, then click this again.'), run);
    if (answer === run) await this.runWithCapture(lesson);
  }

  async capture(lesson: Lesson): Promise<void> {
    if (!requireTrust(vscode.l10n.t('Packet capture'))) return;
    const run = this.runs.get(lesson.id);
    const port = run?.address.port ?? this.peerSessions.get(lesson.id)?.find((s) => s.isAlive)?.localPort;
    if (port === undefined || lesson.transport === 'unix' || lesson.transport === 'none') {
      void vscode.window.showInformationMessage(lesson.transport === 'unix' || lesson.transport === 'none'
        ? vscode.l10n.t('This lesson does not use IP ports, so there is nothing to capture on the network.')
        : vscode.l10n.t('Run the lesson first; the capture is filtered to its port.'));
      return;
    }
    if (!(await vscode.commands.getCommands(true)).includes('socketLab.capture.start')) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Packet capture is not available in this build of Socket Lab.'));
      return;
    }
    const iface = process.platform === 'linux' ? 'lo' : process.platform === 'darwin' ? 'lo0' : undefined;
    const started = await vscode.commands.executeCommand<{ captureId: string } | undefined>('socketLab.capture.start', { interface: iface, filter: `${lesson.transport} port ${port}` });
    if (started) this.lessonCaptures.set(lesson.id, started.captureId);
  }

  dispose(): void {
    for (const t of this.terminals.values()) t.dispose();
    this.terminals.clear();
    for (const id of [...this.recordings.keys()]) this.endRecording(id);
    for (const d of this.subs.splice(0)) d.dispose();
  }
}

/** The workspace folders on disk, where a learner's copy of a lesson may be. */
function workspacePaths(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

export function registerLessons(context: vscode.ExtensionContext, sessions?: SessionManager, programs?: ProgramWatchManager, panels?: SessionPanelManager, recorder?: CallRecorder): LessonController {
  const controller = new LessonController(context, sessions, programs, panels, recorder);
  // the lessons' read-only editors show the hints of the lesson files they view
  recorder?.hints.mapScheme(LESSON_SCHEME, controller.root);
  context.subscriptions.push(controller);
  context.subscriptions.push(
    vscode.workspace.registerFileSystemProvider(LESSON_SCHEME, new LessonFileSystemProvider(controller.root), { isReadonly: true, isCaseSensitive: true }),
    vscode.window.createTreeView('socketLab.lessons', { treeDataProvider: controller.provider, showCollapseAll: true }),
  );
  const withLesson = (fn: (lesson: Lesson, arg: Args) => Promise<void>) => async (arg?: unknown) => {
    const lesson = await controller.pick(arg as Args);
    if (lesson) await fn(lesson, arg as Args);
  };
  registerCommand(context, 'socketLab.lesson.open', withLesson((l, arg) => {
    const folder = typeof arg === 'object' && arg && 'folder' in arg ? arg.folder : undefined;
    return folder === undefined ? controller.open(l) : controller.copy(l, typeof folder === 'string' ? folder : undefined);
  }));
  registerCommand(context, 'socketLab.lesson.copy', withLesson((l, arg) =>
    controller.copy(l, typeof arg === 'object' && arg && typeof arg.folder === 'string' ? arg.folder : undefined)));
  registerCommand(context, 'socketLab.lesson.runServer', withLesson((l) => controller.run(l, ['server'])));
  registerCommand(context, 'socketLab.lesson.runClient', withLesson((l) => controller.run(l, ['client'])));
  registerCommand(context, 'socketLab.lesson.runBoth', withLesson((l) => controller.run(l, ['server', 'client'])));
  registerCommand(context, 'socketLab.lesson.runWithCapture', withLesson((l) => controller.runWithCapture(l)));
  registerCommand(context, 'socketLab.lesson.showEvidence', withLesson((l, arg) => controller.showEvidence(l, typeof arg === 'object' && arg ? (arg as { watch?: unknown }).watch : undefined)));
  registerCommand(context, 'socketLab.lesson.playPeer', withLesson((l) => controller.playPeer(l)));
  registerCommand(context, 'socketLab.lesson.capture', withLesson((l) => controller.capture(l)));
  registerCommand(context, 'socketLab.lesson.stop', async (arg?: unknown) => {
    const lesson = await controller.pick(arg as Args, true);
    if (lesson) await controller.stop(lesson);
  });
  registerCommand(context, 'socketLab.lesson.check', async (arg?: unknown) => {
    const lesson = await controller.pick(arg as Args);
    // {id, exercise: "1"} from the palette or a keybinding; the exercise's tree node (holding the exercise) inline
    const a = (arg && typeof arg === 'object' ? arg : {}) as { exercise?: unknown; dir?: unknown };
    const x = a.exercise;
    const exercise = typeof x === 'number' ? String(x) : x && typeof x === 'object' && 'id' in x ? (x as { id: unknown }).id : x;
    return lesson ? controller.check(lesson, exercise, a.dir) : undefined;
  });
  return controller;
}
