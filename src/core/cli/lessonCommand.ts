// `socket-lab lesson check ID EXERCISE [--dir FOLDER] [--python P] [--json] [--lang en|zh-cn]`: Check My Solution
// from a terminal or CI. Exit 0 when the exercise passes, 1 when it does not, 2 for a usage mistake or an exercise that
// cannot be judged (no capture here, the program is not in the folder), 130 when Ctrl+C cancelled the check.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorLanguageFor } from '../errors';
import { defaultInterpreterCandidates, resolveInterpreter, type PythonInterpreter } from '../lessons/interpreter';
import { loadLessonCatalog } from '../lessons/lessonCatalog';
import { checkExercise, checkReport } from '../lessons/lessonCheck';
import { describe, parseVerbArgs, readOptions, UsageError, type CliIo } from './cliIo';

export const lessonUsage = `Usage: socket-lab lesson check ID EXERCISE [options]

Runs your copy of a lesson's program against the exercise's checker on 127.0.0.1
and says pass or fail with the evidence (which step, which bytes, what was expected).

  ID              the lesson, e.g. 01-tcp-echo (socket-lab lesson list shows them)
  EXERCISE        the exercise, e.g. 0 (the lesson itself) or 1
  --dir FOLDER    where your copy of the lesson's programs is (default: the current folder)
  --python P      the Python 3 to run it with (default: python3, or py -3 on Windows)
  --lang L        en or zh-cn (default: from LANG)
  --json          one JSON object instead of text

Exit status: 0 passed, 1 not passed, 2 usage mistake or not judged (the program
is not in the folder, no capture here), 130 cancelled with Ctrl+C.
Usage: socket-lab lesson list      the lessons and their exercises
`;

/** The shipped lessons: beside the CLI's bundle (dist/../lessons), or found upwards from the sources. */
function lessonsRoot(): string {
  if (process.env.SOCKET_LAB_LESSONS) return process.env.SOCKET_LAB_LESSONS;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'lessons');
    if (fs.existsSync(path.join(candidate, '01-tcp-echo', 'lesson.json'))) return candidate;
    if (path.dirname(dir) === dir) throw new UsageError('the lessons are not next to this socket-lab (set SOCKET_LAB_LESSONS to their folder)');
  }
}

function parse(argv: string[]) {
  const options = {
    dir: { type: 'string' },
    python: { type: 'string' },
    lang: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  } as const;
  const { values, positionals } = parseVerbArgs('lesson', argv, options);
  if (values.help) return 'help';
  const [action, id, exercise, extra] = positionals;
  if (action !== 'check' && action !== 'list') throw new UsageError(action === undefined ? 'missing action: check or list' : `unknown action "${action}": use check or list`);
  if (action === 'check' && (id === undefined || exercise === undefined)) throw new UsageError('lesson check wants ID and EXERCISE, e.g. socket-lab lesson check 01-tcp-echo 0');
  if (extra !== undefined || (action === 'list' && id !== undefined)) throw new UsageError(`unexpected argument "${extra ?? id}"`);
  if (values.dir !== undefined && !fs.existsSync(values.dir)) throw new UsageError(`no folder at ${values.dir}`);
  const lang = values.lang === undefined ? errorLanguageFor((process.env.LANG ?? '').split('.')[0].replace('_', '-')) : values.lang;
  if (lang !== 'en' && lang !== 'zh-cn') throw new UsageError(`--lang wants en or zh-cn, not "${lang}"`);
  return { action, id, exercise, dir: path.resolve(values.dir ?? '.'), python: values.python, lang: lang as 'en' | 'zh-cn', json: values.json };
}

export async function runLessonCommand(argv: string[], io: CliIo): Promise<number> {
  const o = readOptions('lesson', lessonUsage, io, () => parse(argv));
  if (typeof o === 'number') return o;
  let lessons;
  try {
    lessons = loadLessonCatalog(lessonsRoot()).lessons;
  } catch (e) {
    io.err(`socket-lab lesson: ${describe(e).message}\n`);
    return 2;
  }
  if (o.action === 'list') {
    for (const l of lessons) io.out(`${l.id}  ${l.title[o.lang]}${l.exercises.length ? `  (exercises ${l.exercises.map((x) => x.id).join(', ')})` : ''}\n`);
    return 0;
  }
  const lesson = lessons.find((l) => l.id === o.id);
  const exercise = lesson?.exercises.find((x) => x.id === o.exercise);
  if (!lesson || !exercise) {
    io.err(`socket-lab lesson: ${!lesson ? `no lesson "${o.id}" (socket-lab lesson list shows them)` : `lesson ${lesson.id} has no exercise "${o.exercise}" (it has ${lesson.exercises.map((x) => x.id).join(', ') || 'none'})`}\n`);
    return 2;
  }
  let interpreter: PythonInterpreter;
  if (o.python) interpreter = { command: o.python, args: [], source: 'setting' };
  else {
    const found = await resolveInterpreter(defaultInterpreterCandidates());
    if (!found.ok) {
      io.err('socket-lab lesson: no Python 3 found (tried python3 and python); give one with --python\n');
      return 2;
    }
    interpreter = found.interpreter;
  }
  const r = await checkExercise(lesson, exercise, { interpreter, dir: o.dir, signal: io.signal });
  // not judged: say why on stderr (or in the JSON) and never "not passed"; the program has been stopped by now
  if (o.json) io.out(`${JSON.stringify(r)}\n`);
  if (r.cancelled) {
    // 130 (128 + SIGINT), as a shell reports a program Ctrl+C ended: a script tells it from 2, "cannot be judged here"
    if (!o.json) io.err(o.lang === 'zh-cn' ? `socket-lab lesson: 已取消：练习 ${exercise.id}（${lesson.id}）没有评判。\n` : `socket-lab lesson: cancelled: exercise ${exercise.id} of ${lesson.id} was not judged.\n`);
    return 130;
  }
  if (r.missing !== undefined) {
    if (!o.json) {
      io.err(o.lang === 'zh-cn'
        ? `socket-lab lesson: ${o.dir} 中没有 ${r.missing}：请先把课程复制到那里（VS Code 中的“复制课程到文件夹…”），或用 --dir FOLDER 指定放着你的副本的文件夹。\n`
        : `socket-lab lesson: ${r.missing} is not in ${o.dir}: copy the lesson there first (Copy Lesson to Folder… in VS Code), or pick the folder that holds your copy with --dir FOLDER.\n`);
    }
    return 2;
  }
  if (r.unavailable) {
    if (!o.json) io.err(o.lang === 'zh-cn' ? `socket-lab lesson: 练习 ${exercise.id}（${lesson.id}）${r.evidence[0]?.['zh-cn'] ?? '无法在这里评判。'}\n` : `socket-lab lesson: exercise ${exercise.id} of ${lesson.id} cannot be judged here: ${r.unavailable}\n`);
    return 2;
  }
  if (!o.json) io.out(`${checkReport(r, o.lang, true)}\n`);
  return r.pass ? 0 : 1;
}
