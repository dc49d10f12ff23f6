// The lesson runner as Run Lesson uses it: the learner's copy runs when there is one, a run tells when it is over
// (its capture stops then), and which lessons can be captured on lo and how.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { copyLessonFiles } from '../../src/core/lessons/lessonCatalog';
import { findFreePort, findLessonCopy, lessonCapturePlan, LessonRunManager, startLessonSide } from '../../src/core/lessons/lessonRunner';
import { lesson, python } from './lessonHarness';

describe('lesson runner: the learner\'s copy, the end of a run, capture plans', function () {
  const dirs: string[] = [];
  const managers: LessonRunManager[] = [];
  afterEach(async () => {
    for (const m of managers.splice(0)) {
      await m.stopAll();
      m.dispose();
    }
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-runner-test-'));
    dirs.push(d);
    return d;
  };
  const manager = () => {
    const m = new LessonRunManager();
    managers.push(m);
    return m;
  };

  it('finds the copy the way Check My Solution does: <workspace>/<lesson id>/ or a workspace named after the lesson', () => {
    const l = lesson('01-tcp-echo');
    const ws = tmp();
    assert.equal(findLessonCopy(l, [ws], 'server.py'), undefined);
    copyLessonFiles(l, path.join(ws, l.id));
    assert.equal(findLessonCopy(l, [tmp(), ws], 'server.py'), path.join(ws, l.id));
    assert.equal(findLessonCopy(l, [path.join(ws, l.id)], 'server.py'), path.join(ws, l.id));
    fs.writeFileSync(path.join(ws, 'server.py'), '');
    assert.equal(findLessonCopy(l, [ws], 'client.py'), path.join(ws, l.id), 'a workspace not named after the lesson is not the copy');
  });

  it('runs the learner\'s copy when given one, and the lesson as shipped otherwise', async () => {
    const l = lesson('01-tcp-echo');
    const copy = path.join(tmp(), l.id);
    copyLessonFiles(l, copy);
    const server = path.join(copy, 'server.py');
    fs.writeFileSync(server, fs.readFileSync(server, 'utf8').replace('conn.sendall(data.upper())', "conn.sendall(b'COPY ' + data.upper())"));
    const runs = manager();
    const state = await runs.start(l, ['server', 'client'], { interpreter: python, port: await findFreePort(0), dir: copy, timeoutMs: 30_000 });
    const exit = await state.client!.exited;
    assert.equal(exit.code, 0, state.client!.output);
    assert.match(state.client!.output, /reply: COPY HELLO, SOCKET LAB/);
    assert.equal(state.server!.options.cwd, copy);
    const shipped = startLessonSide(l, 'client', { port: 1 }, { interpreter: python, dir: tmp() });
    assert.equal(shipped.options.cwd, l.dir, 'a folder without the file: the shipped lesson');
    shipped.dispose();
  });

  it('tells once when every program of a run has ended by itself, and when a run is stopped; not while a run is replaced', async () => {
    const l = lesson('01-tcp-echo'); // its server ends after its one client
    const runs = manager();
    const ended: string[] = [];
    runs.onDidEnd((id) => ended.push(id));
    const state = await runs.start(l, ['server', 'client'], { interpreter: python, port: await findFreePort(0), timeoutMs: 30_000 });
    await Promise.all([state.client!.exited, state.server!.exited]);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(ended, ['01-tcp-echo']);
    const l2 = lesson('02-many-clients'); // its server keeps running
    await runs.start(l2, ['server'], { interpreter: python, port: await findFreePort(0), timeoutMs: 30_000 });
    await runs.start(l2, ['server'], { interpreter: python, port: await findFreePort(0), timeoutMs: 30_000 }); // replaces the first server
    assert.deepEqual(ended, ['01-tcp-echo'], 'a replaced run is not over');
    await runs.stop(l2.id);
    assert.deepEqual(ended, ['01-tcp-echo', '02-many-clients']);
    await runs.stop(l2.id);
    assert.deepEqual(ended, ['01-tcp-echo', '02-many-clients'], 'once');
  });

  it('plans a capture on lo for TCP/UDP pairs and program lessons (ICMP, names and addresses), none for Unix sockets', () => {
    const tcp = lessonCapturePlan(lesson('01-tcp-echo'))!;
    assert.equal(tcp.filter(9001), 'tcp port 9001');
    assert.equal(tcp.program, undefined);
    assert.equal(lessonCapturePlan(lesson('03-udp-echo'))!.filter(9003), 'udp port 9003');
    const ping = lessonCapturePlan(lesson('20-icmp-ping'))!;
    assert.equal(ping.filter(undefined), 'icmp');
    assert.equal(ping.needsPort, false);
    assert.deepEqual(ping.program!(undefined), { path: 'ping.py', args: ['127.0.0.1', '3'] });
    const names = lessonCapturePlan(lesson('14-names-addresses'))!;
    assert.equal(names.needsPort, true);
    assert.equal(names.filter(9014), 'tcp port 9014');
    assert.deepEqual(names.program!(9014), { path: 'bind_demo.py', args: ['9014'] });
    assert.equal(lessonCapturePlan(lesson('11-unix-sockets')), undefined);
  });
});
