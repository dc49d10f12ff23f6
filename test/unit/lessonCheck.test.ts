// Check My Solution: every exercise's checker passes the lesson as shipped (exercise 0) or the reference solution
// (solutions/<id>/, laid over a copy of the lesson), and fails the lesson as shipped for the other exercises, with
// evidence; a broken copy fails exercise 0. Real programs, real sockets on 127.0.0.1.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadLessonCatalog, type Lesson } from '../../src/core/lessons/lessonCatalog';
import { checkExercise, checkReport } from '../../src/core/lessons/lessonCheck';
import { repoRoot } from '../support';
import { runLessonCommand } from '../../src/core/cli/lessonCommand';
import { compileFilter } from '../../src/core/decode/displayFilter';

const interpreter = { command: 'python3', args: [], source: 'default' };
const catalog = loadLessonCatalog(path.join(repoRoot, 'lessons'));

/** A learner's copy: the lesson's top-level files (what Copy Lesson to Folder copies), then `over` laid on top. */
function copyOf(lesson: Lesson, over?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `socket-lab-check-${lesson.id}-`));
  for (const e of fs.readdirSync(lesson.dir, { withFileTypes: true })) if (e.isFile()) fs.copyFileSync(path.join(lesson.dir, e.name), path.join(dir, e.name));
  if (over) for (const f of fs.readdirSync(over)) fs.copyFileSync(path.join(over, f), path.join(dir, f));
  return dir;
}

describe('lessons: Check My Solution', function () {
  this.timeout(60_000);

  it('lesson 1: a copy whose server no longer upper-cases fails exercise 0, showing expected vs got', async () => {
    const lesson = catalog.lessons.find((l) => l.id === '01-tcp-echo')!;
    const dir = copyOf(lesson);
    fs.writeFileSync(path.join(dir, 'server.py'), fs.readFileSync(path.join(dir, 'server.py'), 'utf8').replace('data.upper()', 'data'));
    const r = await checkExercise(lesson, lesson.exercises.find((x) => x.id === '0')!, { interpreter, dir });
    assert.equal(r.pass, false);
    const text = checkReport(r, 'en');
    assert.match(text, /✗ expect "HELLO, SOCKET LAB"/);
    assert.match(text, /got +"hello, socket lab"/);
    assert.match(checkReport(r, 'zh-cn'), /未通过/);
  });

  it('socket-lab lesson check: exit 0 on a pass, 1 on a fail with the evidence, 2 for a usage mistake; --json', async () => {
    const lesson = catalog.lessons.find((l) => l.id === '01-tcp-echo')!;
    const run = async (...argv: string[]) => {
      const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
      return { code: await runLessonCommand(argv, io), ...io };
    };
    const pass = await run('check', '01-tcp-echo', '1', '--dir', path.join(lesson.dir, 'solutions', '1'));
    assert.equal(pass.code, 0, pass.stdout + pass.stderr);
    assert.match(pass.stdout, /Exercise 1 of 01-tcp-echo: passed/);
    const fail = await run('check', '01-tcp-echo', '1', '--dir', copyOf(lesson), '--lang', 'zh-cn');
    assert.equal(fail.code, 1);
    assert.match(fail.stdout, /未通过[\s\S]*"hello, socket lab"/);
    // sending "quit" without reading the answer cannot pass: the word it must carry is in the answer
    const blind = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-check-blind-'));
    fs.writeFileSync(path.join(blind, 'client.py'), 'import socket, sys\ns = socket.create_connection(("127.0.0.1", int(sys.argv[1])))\ns.sendall(b"pingquit")\ns.recv(100)\n');
    const early = await run('check', '01-tcp-echo', '1', '--dir', blind);
    assert.equal(early.code, 1, early.stdout);
    assert.match(early.stdout, /everything your client sent: "pingquit"/);
    const json = await run('check', '01-tcp-echo', '0', '--dir', copyOf(lesson), '--json');
    assert.equal(json.code, 0);
    assert.equal(JSON.parse(json.stdout).pass, true);
    for (const argv of [['check', '01-tcp-echo'], ['check', '99-nope', '0'], ['check', '01-tcp-echo', '7'], ['fly'], ['check', '01-tcp-echo', '0', '--lang', 'fr'], ['list', 'extra'], ['check', '01-tcp-echo', '0', '--dir', '/nonexistent/socket-lab']]) {
      const u = await run(...argv);
      assert.equal(u.code, 2, `${argv.join(' ')}: ${u.stdout}${u.stderr}`);
      assert.match(u.stderr, /^socket-lab lesson: .+\n$/);
    }
  });

  it('every lesson has exercise 0 at least, and every packet expectation is a display filter Socket Lab can apply', () => {
    for (const l of catalog.lessons) {
      assert.ok(l.exercises.some((x) => x.id === '0'), `${l.id} has exercise 0`);
      for (const x of l.exercises) for (const e of x.expect ?? []) assert.doesNotThrow(() => compileFilter(e.filter), `${l.id}/${x.id}: ${e.filter}`);
    }
  });

  it('every "what to watch" link is a display filter Socket Lab can apply, in a lesson that has ports', () => {
    let links = 0;
    for (const l of catalog.lessons) {
      for (const f of l.watch.filters ?? []) {
        if (!f) continue;
        links++;
        assert.ok(l.transport === 'tcp' || l.transport === 'udp', `${l.id}: a capture filter needs a port`);
        assert.doesNotThrow(() => compileFilter(f), `${l.id}: ${f}`);
      }
    }
    assert.ok(links >= 30, `${links} links`);
  });

  it('a folder without the program says to copy the lesson first', async () => {
    const lesson = catalog.lessons.find((l) => l.id === '01-tcp-echo')!;
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-check-empty-'));
    const r = await checkExercise(lesson, lesson.exercises[0], { interpreter, dir: empty });
    assert.equal(r.pass, false);
    assert.match(checkReport(r, 'en'), /server\.py is not in .*copy the lesson there first/);
  });

  for (const lesson of catalog.lessons) {
    for (const x of lesson.exercises) {
      if (x.id === '0') {
        it(`${lesson.id} exercise 0: the lesson as shipped passes its own checker`, async function () {
          const r = await checkExercise(lesson, x, { interpreter, dir: copyOf(lesson) });
          if (r.unavailable) {
            console.warn(`      skipped: ${r.unavailable}`);
            this.skip();
          }
          assert.equal(r.pass, true, checkReport(r, 'en') + '\n' + r.output);
        });
        continue;
      }
      const solution = path.join(lesson.dir, 'solutions', x.id);
      it(`${lesson.id} exercise ${x.id}: the reference solution passes, the lesson as shipped does not`, async function () {
        assert.ok(fs.existsSync(solution), `${lesson.id} needs a reference solution in solutions/${x.id}/`);
        const good = await checkExercise(lesson, x, { interpreter, dir: copyOf(lesson, solution) });
        if (good.unavailable) {
          console.warn(`      skipped: ${good.unavailable}`);
          this.skip();
        }
        assert.equal(good.pass, true, checkReport(good, 'en') + '\n' + good.output);
        const shipped = await checkExercise(lesson, x, { interpreter, dir: copyOf(lesson) });
        assert.equal(shipped.pass, false, 'the unchanged lesson must not pass an exercise that asks for a change');
        assert.ok(shipped.evidence.some((e) => e.en.startsWith('✗')), checkReport(shipped, 'en'));
      });
    }
  }
});
