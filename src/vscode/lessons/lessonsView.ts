// The Lessons view: lessons in order with their state (not started / running / done), their files as children.
import * as vscode from 'vscode';
import { lessonLanguage, type Lesson, type LessonExercise, type LessonFile } from '../../core/lessons/lessonCatalog';
import { describeAddress, lessonCapturePlan, type LessonRunManager } from '../../core/lessons/lessonRunner';
import { LessonFileSystemProvider } from './lessonFileSystem';

export type LessonState = 'not-started' | 'running' | 'done';

export type LessonNode =
  | { kind: 'lesson'; lesson: Lesson }
  | { kind: 'file'; lesson: Lesson; file: LessonFile | { path: string; role: 'readme' } }
  | { kind: 'exercise'; lesson: Lesson; exercise: LessonExercise }
  | { kind: 'watch'; lesson: Lesson; index: number };

const DONE_KEY = 'socketLab.lessons.done';

/** Lessons the user finished (a client run that exited with code 0), kept in globalState across sessions. */
export class LessonProgress {
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  readonly onDidChange = this._onDidChange.event;

  constructor(private readonly state: vscode.Memento) {}

  isDone(id: string): boolean {
    return this.state.get<string[]>(DONE_KEY, []).includes(id);
  }

  async markDone(id: string): Promise<void> {
    if (this.isDone(id)) return;
    await this.state.update(DONE_KEY, [...this.state.get<string[]>(DONE_KEY, []), id]);
    this._onDidChange.fire();
  }

  dispose(): void {
    this._onDidChange.dispose();
  }
}

export function readmeName(): string {
  return lessonLanguage(vscode.env.language) === 'zh-cn' ? 'README.zh-cn.md' : 'README.md';
}

export function lessonTitle(lesson: Lesson): string {
  return `${String(lesson.order).padStart(2, '0')} ${lesson.title[lessonLanguage(vscode.env.language)]}`;
}

/** Why a "what to watch" item has no packets to open, for its tooltip. */
function noPacketsReason(lesson: Lesson): string {
  if (lesson.transport === 'unix') return vscode.l10n.t('Unix domain sockets never cross lo or any other interface, so no capture shows this: watch the programs\' terminals and the System Sockets view.');
  if (!lesson.watch.filters && lessonCapturePlan(lesson)) return vscode.l10n.t('No display filter leads to these packets yet: use Run Lesson with Capture and look for them in the whole capture.');
  if (!lessonCapturePlan(lesson)) return vscode.l10n.t('This lesson cannot be captured on lo: watch the programs\' terminals.');
  return vscode.l10n.t('No packet shows this: it is in the programs\' terminals.');
}

/**
 * A "what to watch" item; with a display filter it opens the packets that show it in the lesson's capture. Without
 * one it has no command (so it does not look like a link) and its tooltip says why.
 */
function watchItem(lesson: Lesson, index: number): vscode.TreeItem {
  const text = lesson.watch[lessonLanguage(vscode.env.language)][index];
  if (lesson.watch.timeline?.[index]) return timelineWatchItem(lesson, index, text);
  const filter = lesson.watch.filters?.[index] ?? '';
  const item = new vscode.TreeItem(text, vscode.TreeItemCollapsibleState.None);
  item.id = `${lesson.id}#watch-${index}`;
  item.iconPath = new vscode.ThemeIcon(filter ? 'eye' : 'eye-closed');
  item.description = filter;
  item.tooltip = new vscode.MarkdownString(filter ? `${text}\n\n${vscode.l10n.t('Click to see it in the lesson\'s capture:')} \`${filter}\`` : `${text}\n\n${noPacketsReason(lesson)}`);
  item.contextValue = 'lessonWatch';
  if (filter) item.command = { command: 'socketLab.lesson.showEvidence', title: vscode.l10n.t('Show the Packets'), arguments: [{ id: lesson.id, watch: index }] };
  return item;
}

/** A "what to watch" item seen in the calls the lesson's programs made: it opens the timeline of the lesson's latest run. */
function timelineWatchItem(lesson: Lesson, index: number, text: string): vscode.TreeItem {
  const item = new vscode.TreeItem(text, vscode.TreeItemCollapsibleState.None);
  item.id = `${lesson.id}#watch-${index}`;
  item.iconPath = new vscode.ThemeIcon('pulse');
  item.description = vscode.l10n.t('timeline');
  item.tooltip = new vscode.MarkdownString(`${text}\n\n${vscode.l10n.t('Click to see it in the timeline of the lesson\'s calls: each send and recv of its programs, linked to its line.')}`);
  item.contextValue = 'lessonWatch';
  item.command = { command: 'socketLab.lesson.showEvidence', title: vscode.l10n.t('Show the Timeline'), arguments: [{ id: lesson.id, watch: index }] };
  return item;
}

export class LessonsProvider implements vscode.TreeDataProvider<LessonNode> {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<LessonNode | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** The last Check My Solution of each exercise in this window ("lesson/exercise" → passed). */
  readonly checked = new Map<string, boolean>();

  constructor(
    private readonly lessons: () => Lesson[],
    private readonly runs: LessonRunManager,
    private readonly progress: LessonProgress,
  ) {}

  /** Coalesced: many process events in a burst cause one refresh. */
  refresh(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this._onDidChangeTreeData.fire(undefined);
    }, 150);
  }

  stateOf(lesson: Lesson): LessonState {
    if (this.runs.isRunning(lesson.id)) return 'running';
    return this.progress.isDone(lesson.id) ? 'done' : 'not-started';
  }

  getChildren(node?: LessonNode): LessonNode[] {
    if (!node) return this.lessons().map((lesson) => ({ kind: 'lesson', lesson }));
    if (node.kind !== 'lesson') return [];
    return [{ kind: 'file', lesson: node.lesson, file: { path: readmeName(), role: 'readme' } },
      ...node.lesson.files.map((file) => ({ kind: 'file' as const, lesson: node.lesson, file })),
      ...node.lesson.exercises.map((exercise) => ({ kind: 'exercise' as const, lesson: node.lesson, exercise })),
      ...node.lesson.watch.en.map((_w, index) => ({ kind: 'watch' as const, lesson: node.lesson, index }))];
  }

  getParent(node: LessonNode): LessonNode | undefined {
    return node.kind === 'lesson' ? undefined : { kind: 'lesson', lesson: node.lesson };
  }

  getTreeItem(node: LessonNode): vscode.TreeItem {
    const lang = lessonLanguage(vscode.env.language);
    const { lesson } = node;
    if (node.kind === 'file') {
      const uri = LessonFileSystemProvider.uri(lesson.id, node.file.path);
      const item = new vscode.TreeItem(node.file.path, vscode.TreeItemCollapsibleState.None);
      item.id = `${lesson.id}/${node.file.path}`;
      item.resourceUri = uri;
      item.description = roleLabel(node.file.role);
      item.contextValue = `lessonFile role:${node.file.role}`;
      item.command = node.file.role === 'readme'
        ? { command: 'markdown.showPreview', title: vscode.l10n.t('Open'), arguments: [uri] }
        : { command: 'vscode.open', title: vscode.l10n.t('Open'), arguments: [uri] };
      return item;
    }
    if (node.kind === 'exercise') return this.exerciseItem(lesson, node.exercise);
    if (node.kind === 'watch') return watchItem(lesson, node.index);
    const state = this.stateOf(lesson);
    const item = new vscode.TreeItem(lessonTitle(lesson), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = lesson.id;
    const run = this.runs.get(lesson.id);
    item.description = state === 'running'
      ? vscode.l10n.t('running on {0}', describeAddress(run?.address ?? {}) || '-')
      : state === 'done' ? vscode.l10n.t('done') : vscode.l10n.t('not started');
    item.iconPath = state === 'running'
      ? new vscode.ThemeIcon('debug-start', new vscode.ThemeColor('testing.iconQueued'))
      : state === 'done'
        ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'))
        : new vscode.ThemeIcon('circle-large-outline');
    const tip = new vscode.MarkdownString(`**${lessonTitle(lesson)}**\n\n${lesson.summary[lang]}\n\n**${vscode.l10n.t('What to watch')}**\n\n`);
    for (const w of lesson.watch[lang]) tip.appendMarkdown(`- ${w}\n`);
    item.tooltip = tip;
    const tokens = ['lesson', `state:${state}`];
    if (lesson.files.some((f) => f.role === 'server')) tokens.push('has:server');
    if (lesson.files.some((f) => f.role === 'client')) tokens.push('has:client');
    if (lesson.peer.plays.length) tokens.push('has:peer');
    if (lesson.transport === 'tcp' || lesson.transport === 'udp') tokens.push('has:port');
    if (lessonCapturePlan(lesson)) tokens.push('can:capture');
    item.contextValue = tokens.join(' ');
    item.command = { command: 'socketLab.lesson.open', title: vscode.l10n.t('Open Lesson'), arguments: [{ id: lesson.id }] };
    return item;
  }

  /** An exercise: its task on hover, the last check's result, Check My Solution beside it. */
  private exerciseItem(lesson: Lesson, x: LessonExercise): vscode.TreeItem {
    const lang = lessonLanguage(vscode.env.language);
    const item = new vscode.TreeItem(vscode.l10n.t('Exercise {0}: {1}', x.id, x.title[lang]), vscode.TreeItemCollapsibleState.None);
    item.id = `${lesson.id}#exercise-${x.id}`;
    const last = this.checked.get(`${lesson.id}/${x.id}`);
    item.description = last === undefined ? '' : last ? vscode.l10n.t('passed') : vscode.l10n.t('not passed');
    item.iconPath = last === undefined ? new vscode.ThemeIcon('beaker') : last ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')) : new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    item.tooltip = new vscode.MarkdownString(`**${x.title[lang]}**\n\n${x.task[lang]}`);
    item.contextValue = 'lessonExercise';
    item.command = { command: 'socketLab.lesson.check', title: vscode.l10n.t('Check My Solution'), arguments: [{ id: lesson.id, exercise: x.id }] };
    return item;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this._onDidChangeTreeData.dispose();
  }
}

function roleLabel(role: string): string {
  switch (role) {
    case 'server':
      return vscode.l10n.t('server');
    case 'client':
      return vscode.l10n.t('client');
    case 'readme':
      return vscode.l10n.t('lesson text');
    default:
      return vscode.l10n.t('helper');
  }
}
