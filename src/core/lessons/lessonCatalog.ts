// Loads and validates the lessons shipped in `lessons/NN-slug/lesson.json`; no vscode here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorLanguageFor } from '../errors';

export type LessonRole = 'server' | 'client' | 'helper';
export type LessonTransport = 'tcp' | 'udp' | 'unix' | 'none';
export type PeerSide = 'client' | 'server';
export type PeerMode = 'manual' | 'echo' | 'upper' | 'sink' | 'print-only';
export type LessonLanguage = 'en' | 'zh-cn';

export interface LocalizedText {
  en: string;
  'zh-cn': string;
}

export interface LessonFile {
  path: string;
  role: LessonRole;
}

/** Which side Socket Lab's own sockets can take opposite the lesson's programs. */
export interface LessonPeer {
  plays: PeerSide[];
  transport: LessonTransport;
  mode?: PeerMode;
  /** How many clients Socket Lab opens at once when it plays the client. */
  count?: number;
}

export interface Lesson {
  id: string;
  order: number;
  title: LocalizedText;
  summary: LocalizedText;
  transport: LessonTransport;
  defaultPort?: number;
  defaultPath?: string;
  /** How to tell the server is up: a connect probe on its port/path, or its "listening on" line. */
  ready: 'port' | 'line';
  /** Ask a modal confirmation naming the address before the server starts (remote command). */
  confirm: boolean;
  needsRoot: boolean;
  files: LessonFile[];
  peer: LessonPeer;
  /**
   * What to watch, in both languages; `filters` gives each item the display filter that shows it in a capture of the
   * lesson ('' where no packet shows it), so the Lessons view can open the evidence; `timeline` marks the items seen in
   * the socket-call timeline of a run (the calls, not the packets: their filter is '').
   */
  watch: { en: string[]; 'zh-cn': string[]; filters?: string[]; timeline?: boolean[] };
  /** Exercises checked on the wire; "0" is the lesson itself. */
  exercises: LessonExercise[];
  /** Absolute folder of the lesson; set by the loader. */
  dir: string;
}

/**
 * An exercise and its checker, a .wire script in the lesson folder. `run: 'server'`: the learner's server runs and
 * the script's client blocks talk to it; `run: 'client'`: the script's server blocks serve and the learner's client
 * runs against them (every rule but `on any` must answer, nothing may go unmatched, the client must end with 0).
 * The script reaches the program at {{port}} (tcp/udp) or {{path}} (unix).
 */
export interface LessonExercise {
  id: string;
  title: LocalizedText;
  task: LocalizedText;
  /** 'program': a program without a peer (ping, a demo) runs while lo is captured; `expect` judges the packets. */
  run: 'server' | 'client' | 'program';
  /** The .wire checker (server and client exercises). */
  check?: string;
  /** Arguments after the port/path for the learner's program ({{port}} in a program exercise's arguments). */
  args?: string[];
  /**
   * A server exercise: the checker's client blocks run at the same time instead of one after another (a concurrent
   * server must answer one client while another holds its connection); the evidence still lists them in order.
   */
  concurrent?: boolean;
  /** A program exercise: which of the lesson's files runs, the capture filter, and what the packets must show. */
  program?: string;
  capture?: string;
  expect?: PacketExpectation[];
}

/** How many captured packets must match a display filter (at least `min`, at most `max`), and what that shows. */
export interface PacketExpectation {
  filter: string;
  min?: number;
  max?: number;
  what: LocalizedText;
}

export interface LessonProblem {
  dir: string;
  errors: string[];
}

export interface LessonCatalog {
  lessons: Lesson[];
  problems: LessonProblem[];
}

export const LESSON_ID = /^(\d\d)-[a-z0-9]+(?:-[a-z0-9]+)*$/;
const LANGS: LessonLanguage[] = ['en', 'zh-cn'];
const ROLES: LessonRole[] = ['server', 'client', 'helper'];
const TRANSPORTS: LessonTransport[] = ['tcp', 'udp', 'unix', 'none'];
const MODES: PeerMode[] = ['manual', 'echo', 'upper', 'sink', 'print-only'];
const KEYS = new Set([
  'id', 'order', 'title', 'summary', 'transport', 'defaultPort', 'defaultPath', 'ready', 'confirm', 'needsRoot',
  'files', 'peer', 'watch', 'exercises',
]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

function localized(v: unknown, field: string, errors: string[]): LocalizedText {
  if (!isObject(v)) {
    errors.push(`"${field}" must be an object with "en" and "zh-cn" texts`);
    return { en: '', 'zh-cn': '' };
  }
  for (const l of LANGS) if (!isText(v[l])) errors.push(`"${field}.${l}" is missing or empty`);
  for (const k of Object.keys(v)) if (!LANGS.includes(k as LessonLanguage)) errors.push(`"${field}.${k}" is not a supported language`);
  return { en: String(v.en ?? ''), 'zh-cn': String(v['zh-cn'] ?? '') };
}

/** A relative path inside the lesson folder: no absolute paths, no "..", no backslashes. */
export function isSafeRelativePath(p: string): boolean {
  if (!p || p.includes('\\') || p.startsWith('/') || /^[a-zA-Z]:/.test(p)) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

function readExercises(raw: unknown, files: LessonFile[], errors: string[]): LessonExercise[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    errors.push('"exercises" must be a list');
    return [];
  }
  const out: LessonExercise[] = [];
  const ids = new Set<string>();
  raw.forEach((x, i) => {
    const at = `exercises[${i}]`;
    if (!isObject(x)) {
      errors.push(`${at} must be an object`);
      return;
    }
    for (const k of Object.keys(x)) if (!['id', 'title', 'task', 'run', 'check', 'args', 'concurrent', 'program', 'capture', 'expect'].includes(k)) errors.push(`unknown field "${at}.${k}"`);
    const id = typeof x.id === 'string' && /^\w{1,20}$/.test(x.id) ? x.id : undefined;
    if (!id) errors.push(`${at}.id must be a short name such as "0" or "1"`);
    else if (ids.has(id)) errors.push(`${at}.id "${id}" is used twice`);
    else ids.add(id);
    const run = x.run === 'server' || x.run === 'client' || x.run === 'program' ? x.run : undefined;
    if (!run) errors.push(`${at}.run must be "server", "client" or "program"`);
    else if (run !== 'program' && !files.some((f) => f.role === run)) errors.push(`${at}.run is "${run}" but the lesson has no ${run} program`);
    const check = typeof x.check === 'string' && isSafeRelativePath(x.check) && x.check.endsWith('.wire') ? x.check : undefined;
    if (run !== 'program' && !check) errors.push(`${at}.check must be a relative .wire path inside the lesson`);
    let program: Pick<LessonExercise, 'program' | 'capture' | 'expect'> = {};
    if (run === 'program') {
      if (typeof x.program !== 'string' || !files.some((f) => f.path === x.program)) errors.push(`${at}.program must name one of the lesson's files`);
      if (typeof x.capture !== 'string' || x.capture.length > 200) errors.push(`${at}.capture must be a capture filter such as "icmp"`);
      const expect = Array.isArray(x.expect) ? x.expect : [];
      if (expect.length === 0) errors.push(`${at}.expect must list what the packets must show`);
      const expectations: PacketExpectation[] = [];
      expect.forEach((e, j) => {
        const n = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= 0);
        if (!isObject(e) || typeof e.filter !== 'string' || !n(e.min) || !n(e.max)) {
          errors.push(`${at}.expect[${j}] must have a display "filter" and whole-number "min"/"max"`);
          return;
        }
        expectations.push({ filter: e.filter, ...(e.min !== undefined ? { min: e.min as number } : {}), ...(e.max !== undefined ? { max: e.max as number } : {}), what: localized(e.what, `${at}.expect[${j}].what`, errors) });
      });
      program = { program: x.program as string, capture: x.capture as string, expect: expectations };
    }
    const args = x.args === undefined ? undefined : Array.isArray(x.args) && x.args.every((a) => typeof a === 'string') ? (x.args as string[]) : undefined;
    if (x.args !== undefined && !args) errors.push(`${at}.args must be a list of strings`);
    if (x.concurrent !== undefined && typeof x.concurrent !== 'boolean') errors.push(`${at}.concurrent must be true or false`);
    else if (x.concurrent === true && run !== 'server') errors.push(`${at}.concurrent is for a server exercise: it runs the checker's client blocks at the same time`);
    const concurrent = x.concurrent === true;
    const title = localized(x.title, `${at}.title`, errors);
    const task = localized(x.task, `${at}.task`, errors);
    if (id && run && (check || run === 'program')) out.push({ id, title, task, run, ...(check ? { check } : {}), ...(args ? { args } : {}), ...(concurrent ? { concurrent } : {}), ...program });
  });
  return out;
}

/** Checks one parsed lesson.json; `folder` is its folder name, which must equal the id. */
export function validateLesson(raw: unknown, folder?: string): { lesson?: Omit<Lesson, 'dir'>; errors: string[] } {
  const errors: string[] = [];
  if (!isObject(raw)) return { errors: ['lesson.json must contain a JSON object'] };
  for (const k of Object.keys(raw)) if (!KEYS.has(k)) errors.push(`unknown field "${k}"`);

  const id = raw.id;
  let order = 0;
  if (typeof id !== 'string' || !LESSON_ID.test(id)) errors.push('"id" must look like "01-tcp-echo" (two digits, a dash, lower-case words)');
  else if (folder !== undefined && folder !== id) errors.push(`"id" is "${id}" but the folder is "${folder}"`);
  if (typeof raw.order !== 'number' || !Number.isInteger(raw.order) || raw.order < 1 || raw.order > 99) {
    errors.push('"order" must be a whole number from 1 to 99');
  } else {
    order = raw.order;
    if (typeof id === 'string' && LESSON_ID.test(id) && Number(id.slice(0, 2)) !== order) errors.push(`"order" ${order} does not match the id's number`);
  }
  const title = localized(raw.title, 'title', errors);
  const summary = localized(raw.summary, 'summary', errors);

  const transport = raw.transport as LessonTransport;
  if (!TRANSPORTS.includes(transport)) errors.push(`"transport" must be one of ${TRANSPORTS.join(', ')}`);
  let defaultPort: number | undefined;
  if (raw.defaultPort !== undefined) {
    if (typeof raw.defaultPort !== 'number' || !Number.isInteger(raw.defaultPort) || raw.defaultPort < 1024 || raw.defaultPort > 65535) {
      errors.push('"defaultPort" must be a whole number from 1024 to 65535');
    } else defaultPort = raw.defaultPort;
  }
  if ((transport === 'tcp' || transport === 'udp') && raw.defaultPort === undefined) errors.push(`a ${transport} lesson needs "defaultPort"`);
  let defaultPath: string | undefined;
  if (raw.defaultPath !== undefined) {
    if (typeof raw.defaultPath !== 'string' || !/^[\w.-]+$/.test(raw.defaultPath)) errors.push('"defaultPath" must be a plain file name such as "lesson.sock"');
    else defaultPath = raw.defaultPath;
  }
  if (transport === 'unix' && raw.defaultPath === undefined) errors.push('a unix lesson needs "defaultPath"');

  const ready = raw.ready ?? 'port';
  if (ready !== 'port' && ready !== 'line') errors.push('"ready" must be "port" or "line"');
  if (ready === 'port' && transport === 'udp') errors.push('a udp server cannot be probed by connecting; use "ready": "line"');
  for (const k of ['confirm', 'needsRoot'] as const) {
    if (raw[k] !== undefined && typeof raw[k] !== 'boolean') errors.push(`"${k}" must be true or false`);
  }

  const files: LessonFile[] = [];
  if (!Array.isArray(raw.files) || raw.files.length === 0) errors.push('"files" must be a non-empty list');
  else {
    const seen = new Set<string>();
    raw.files.forEach((f, i) => {
      if (!isObject(f) || typeof f.path !== 'string') {
        errors.push(`files[${i}] must be an object with "path" and "role"`);
        return;
      }
      if (!isSafeRelativePath(f.path) || !f.path.endsWith('.py')) errors.push(`files[${i}].path "${f.path}" must be a relative .py path inside the lesson`);
      if (!ROLES.includes(f.role as LessonRole)) errors.push(`files[${i}].role must be one of ${ROLES.join(', ')}`);
      if (seen.has(f.path)) errors.push(`files[${i}].path "${f.path}" is listed twice`);
      seen.add(f.path);
      files.push({ path: f.path, role: f.role as LessonRole });
    });
    if (!files.some((f) => f.role !== 'helper')) errors.push('"files" needs at least one server or client program');
  }

  let peer: LessonPeer = { plays: [], transport: 'none' };
  if (!isObject(raw.peer)) errors.push('"peer" must be an object with "plays" and "transport"');
  else {
    const p = raw.peer;
    const plays = Array.isArray(p.plays) ? p.plays : undefined;
    if (!plays || !plays.every((s) => s === 'client' || s === 'server')) errors.push('"peer.plays" must be a list of "client" and/or "server"');
    if (!TRANSPORTS.includes(p.transport as LessonTransport)) errors.push(`"peer.transport" must be one of ${TRANSPORTS.join(', ')}`);
    if (plays && plays.length > 0 && p.transport !== transport) errors.push('"peer.transport" must match the lesson\'s transport');
    if (plays && plays.length > 0 && transport === 'none') errors.push('a lesson without a transport cannot have a peer');
    if (p.mode !== undefined && !MODES.includes(p.mode as PeerMode)) errors.push(`"peer.mode" must be one of ${MODES.join(', ')}`);
    if (p.count !== undefined && (typeof p.count !== 'number' || !Number.isInteger(p.count) || p.count < 1 || p.count > 50)) errors.push('"peer.count" must be a whole number from 1 to 50');
    for (const k of Object.keys(p)) if (!['plays', 'transport', 'mode', 'count'].includes(k)) errors.push(`unknown field "peer.${k}"`);
    peer = {
      plays: (plays ?? []) as PeerSide[],
      transport: p.transport as LessonTransport,
      ...(p.mode !== undefined ? { mode: p.mode as PeerMode } : {}),
      ...(p.count !== undefined ? { count: p.count as number } : {}),
    };
    if (peer.plays.includes('client') && !files.some((f) => f.role === 'server')) errors.push('Socket Lab can only play the client when the lesson has a server');
    if (peer.plays.includes('server') && !files.some((f) => f.role === 'client')) errors.push('Socket Lab can only play the server when the lesson has a client');
  }

  const watch: Lesson['watch'] = { en: [] as string[], 'zh-cn': [] as string[] };
  if (!isObject(raw.watch)) errors.push('"watch" must be an object with "en" and "zh-cn" lists');
  else {
    for (const l of LANGS) {
      const list = raw.watch[l];
      if (!Array.isArray(list) || list.length === 0 || !list.every(isText)) errors.push(`"watch.${l}" must be a non-empty list of texts`);
      else watch[l] = list as string[];
    }
    if (watch.en.length && watch['zh-cn'].length && watch.en.length !== watch['zh-cn'].length) errors.push('"watch.en" and "watch.zh-cn" must have the same number of items');
    const filters = raw.watch.filters;
    if (filters !== undefined) {
      if (!Array.isArray(filters) || filters.length !== watch.en.length || !filters.every((f) => typeof f === 'string' && f.length <= 500)) errors.push('"watch.filters" must be a list of display filters, one per watch item ("" for none)');
      else watch.filters = filters as string[];
    }
    const timeline = raw.watch.timeline;
    if (timeline !== undefined) {
      if (!Array.isArray(timeline) || timeline.length !== watch.en.length || !timeline.every((v) => typeof v === 'boolean')) errors.push('"watch.timeline" must be a list of true or false, one per watch item');
      else if (timeline.some((v, i) => v && watch.filters?.[i])) errors.push('a "watch" item seen in the timeline has no display filter ("" in "watch.filters")');
      else watch.timeline = timeline as boolean[];
    }
    for (const k of Object.keys(raw.watch)) if (![...LANGS, 'filters', 'timeline'].includes(k)) errors.push(`unknown field "watch.${k}"`);
  }

  const exercises = readExercises(raw.exercises, files, errors);

  if (errors.length) return { errors };
  return {
    errors,
    lesson: {
      id: id as string, order, title, summary, transport, defaultPort, defaultPath, ready: ready as 'port' | 'line',
      confirm: raw.confirm === true, needsRoot: raw.needsRoot === true, files, peer, watch, exercises,
    },
  };
}

/** Reads every `NN-slug/lesson.json` under `root`; broken lessons land in `problems`, never throw. */
export function loadLessonCatalog(root: string): LessonCatalog {
  const lessons: Lesson[] = [];
  const problems: LessonProblem[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch (e) {
    return { lessons, problems: [{ dir: root, errors: [`cannot read the lessons folder: ${(e as Error).message}`] }] };
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || !/^\d\d-/.test(entry.name)) continue;
    const dir = path.join(root, entry.name);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(path.join(dir, 'lesson.json'), 'utf8'));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      problems.push({ dir, errors: [err.code === 'ENOENT' ? 'lesson.json is missing' : `lesson.json is not valid JSON: ${err.message}`] });
      continue;
    }
    const { lesson, errors } = validateLesson(raw, entry.name);
    if (lesson) {
      for (const f of lesson.files) if (!fs.existsSync(path.join(dir, f.path))) errors.push(`file "${f.path}" is listed but missing`);
      for (const readme of ['README.md', 'README.zh-cn.md']) if (!fs.existsSync(path.join(dir, readme))) errors.push(`${readme} is missing`);
      for (const x of lesson.exercises) if (x.check && !fs.existsSync(path.join(dir, x.check))) errors.push(`exercise ${x.id}'s checker "${x.check}" is missing`);
    }
    if (!lesson || errors.length) problems.push({ dir, errors });
    else lessons.push({ ...lesson, dir });
  }
  lessons.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
  const orders = new Set<number>();
  for (const l of lessons) {
    if (orders.has(l.order)) problems.push({ dir: l.dir, errors: [`order ${l.order} is used by more than one lesson`] });
    orders.add(l.order);
  }
  return { lessons, problems };
}

/** The lesson texts follow the rest of the UI: Simplified Chinese where VS Code shows it (errorLanguageFor), else English. */
export const lessonLanguage: (uiLanguage: string) => LessonLanguage = errorLanguageFor;

/** The file the lesson runs for a role: the first file with that role. */
export function mainFile(lesson: Lesson, role: 'server' | 'client'): LessonFile | undefined {
  return lesson.files.find((f) => f.role === role);
}

/** Copies a lesson's files into `dest`, never overwriting a file that is already there. */
export function copyLessonFiles(lesson: Lesson, dest: string): { copied: string[]; kept: string[] } {
  const copied: string[] = [];
  const kept: string[] = [];
  fs.mkdirSync(dest, { recursive: true });
  for (const entry of fs.readdirSync(lesson.dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    try {
      // COPYFILE_EXCL: the check and the copy are one step, so a user's file can never be replaced
      fs.copyFileSync(path.join(lesson.dir, entry.name), path.join(dest, entry.name), fs.constants.COPYFILE_EXCL);
      copied.push(entry.name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      kept.push(entry.name);
    }
  }
  return { copied, kept };
}
