// What the lesson tests share: the catalog, the Python they run with, and one suite's running lesson programs and
// temporary folders, stopped and removed after each test (call lessonRuns() inside a describe).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PythonInterpreter } from '../../src/core/lessons/interpreter';
import { loadLessonCatalog, type Lesson } from '../../src/core/lessons/lessonCatalog';
import { LessonProcess, type LessonExit } from '../../src/core/lessons/lessonProcess';
import { chooseAddress, findFreePort, startLessonSide, waitForServer, type LessonAddress } from '../../src/core/lessons/lessonRunner';
import { repoRoot } from '../support';

export const lessonsRoot = path.join(repoRoot, 'lessons');
export const catalog = loadLessonCatalog(lessonsRoot);
export const python: PythonInterpreter = { command: 'python3', args: [], source: 'test' };

export function lesson(id: string): Lesson {
  const l = catalog.lessons.find((x) => x.id === id);
  assert.ok(l, `lesson ${id} is in the catalog`);
  return l;
}

export interface ServerOptions {
  /** Default: a free port, or a socket path in a temporary folder. */
  address?: LessonAddress;
  env?: Record<string, string>;
  args?: string[];
}

/** One suite's lesson programs, temporary folders and extra cleanups, all undone after each test. */
export function lessonRuns(prefix = 'socket-lab-lesson-test-') {
  const procs: LessonProcess[] = [];
  const tmpDirs: string[] = [];
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop('stopped', 300)));
    for (const c of cleanups.splice(0)) await c();
    for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const tmp = (): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    tmpDirs.push(d);
    return d;
  };
  /** Starts the lesson's server and waits until it is ready. */
  async function startServer(id: string, opts: ServerOptions = {}): Promise<{ proc: LessonProcess; address: LessonAddress }> {
    const l = lesson(id);
    const address = opts.address ?? (l.transport === 'unix'
      ? await chooseAddress(l, { unixPath: path.join(tmp(), 'lesson.sock') })
      : await chooseAddress(l, { port: await findFreePort(0, l.transport === 'udp' ? 'udp' : 'tcp') }));
    const proc = startLessonSide(l, 'server', address, { interpreter: python, env: opts.env, serverArgs: opts.args, timeoutMs: 50_000 });
    procs.push(proc);
    await waitForServer(l, proc, address);
    return { proc, address };
  }
  /** Runs the lesson's client to its end. */
  async function runClient(id: string, address: LessonAddress, args: string[] = [], env?: Record<string, string>): Promise<{ proc: LessonProcess; exit: LessonExit }> {
    const proc = startLessonSide(lesson(id), 'client', address, { interpreter: python, clientArgs: args, env, timeoutMs: 40_000 });
    procs.push(proc);
    return { proc, exit: await proc.exited };
  }
  /** Starts any .py of a lesson with arguments (the caller waits for it). */
  function startFile(id: string, file: string, args: string[], env?: Record<string, string>, timeoutMs = 40_000, interpreter = python): LessonProcess {
    const l = lesson(id);
    const proc = new LessonProcess({ interpreter, file: path.join(l.dir, file), args, cwd: l.dir, env, timeoutMs });
    procs.push(proc);
    return proc;
  }
  /** Runs any .py of a lesson with arguments, to its end. */
  async function runFile(id: string, file: string, args: string[], env?: Record<string, string>, interpreter = python): Promise<{ proc: LessonProcess; exit: LessonExit }> {
    const proc = startFile(id, file, args, env, 40_000, interpreter);
    return { proc, exit: await proc.exited };
  }
  return { procs, cleanups, tmp, startServer, runClient, startFile, runFile };
}
