import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runListen } from '../../src/core/cli/listenCommand';
import { runSend } from '../../src/core/cli/sendCommand';
import type { CliIo } from '../../src/core/cli/cliIo';
import { formatErrorMessage, SocketLabError } from '../../src/core/errors';
import { loadLessonCatalog } from '../../src/core/lessons/lessonCatalog';
import { chooseAddress } from '../../src/core/lessons/lessonRunner';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import { checkUnixPath, PrivateSocketDir, sharedSocketDir, unixPathLimit } from '../../src/core/sessions/unixPath';
import { repoRoot } from './helpers';

function capture(): CliIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

/** A path of exactly `bytes` bytes inside `dir`. */
function pathOf(dir: string, bytes: number): string {
  const p = path.join(dir, 'x'.repeat(bytes - dir.length - 1));
  assert.equal(Buffer.byteLength(p), bytes);
  return p;
}

describe('Unix socket paths (issue 11 item 12)', function () {
  if (process.platform === 'win32') return;
  let dir: string;
  let m: SessionManager;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-up-'));
    m = new SessionManager();
  });
  afterEach(() => {
    m.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the limit is 107 usable bytes on Linux and 103 on macOS; none for Windows pipes', () => {
    assert.equal(unixPathLimit('linux'), 107);
    assert.equal(unixPathLimit('darwin'), 103);
    assert.equal(unixPathLimit('freebsd'), 103);
    assert.equal(unixPathLimit('win32'), undefined);
    assert.throws(() => checkUnixPath('/x/' + 'a'.repeat(101), 'darwin'), (e: SocketLabError) => e.code === 'ENAMETOOLONG' && /at most 103 bytes on macOS/.test(e.message));
    assert.equal(checkUnixPath('/x/' + 'a'.repeat(100), 'darwin').length, 103);
    // bytes, not characters: 53 × "é" is 106 bytes
    assert.throws(() => checkUnixPath(`/t/${'é'.repeat(53)}`, 'linux'), (e: SocketLabError) => e.code === 'ENAMETOOLONG' && /is 109 bytes long/.test(e.message));
    assert.match(formatErrorMessage('ENAMETOOLONG', { path: '/p', bytes: 150, limit: 107, os: 'Linux' }, 'zh-cn'), /最多 107 字节/);
  });

  it('a server on a path over the limit is refused with ENAMETOOLONG naming the limit; nothing truncated is left behind', async () => {
    const limit = unixPathLimit()!;
    const long = pathOf(dir, 150);
    await assert.rejects(m.startUnixServer({ path: long }), (e: SocketLabError) =>
      e.code === 'ENAMETOOLONG' && e.message.includes(long) && e.message.includes(`at most ${limit} bytes`) && /is 150 bytes long/.test(e.message));
    await assert.rejects(m.startUnixServer({ path: pathOf(dir, limit + 1) }), (e: SocketLabError) => e.code === 'ENAMETOOLONG');
    await assert.rejects(m.connectUnix({ path: long }), (e: SocketLabError) => e.code === 'ENAMETOOLONG');
    assert.deepEqual(fs.readdirSync(dir), [], 'no socket file with a truncated name');
    // exactly the limit works, under its full name
    const exact = pathOf(dir, limit);
    const srv = await m.startUnixServer({ path: exact, mode: 'echo' });
    assert.equal(srv.state, 'listening');
    assert.ok(fs.statSync(exact).isSocket());
    const c = await m.connectUnix({ path: exact });
    assert.equal(c.state, 'open');
  });

  it('CLI: listen unix / send unix with an over-long path exit 2 (usage) with the sentence', async () => {
    const long = pathOf(dir, 150);
    const l = capture();
    assert.equal(await runListen(['unix', long, '--timeout', '1'], l), 2);
    assert.equal(l.stdout, '');
    assert.match(l.stderr, new RegExp(`^socket-lab listen: The socket path .* is 150 bytes long, but a Unix socket path holds at most ${unixPathLimit()} bytes on Linux`));
    const s = capture();
    assert.equal(await runSend(['unix', long, '--text', 'x'], s), 2);
    assert.match(s.stderr, /^socket-lab send: The socket path .* at most 107 bytes/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('default socket names live in a private 0700 folder, not directly in the temp folder', async () => {
    const d = new PrivateSocketDir({});
    const p = d.socketPath('a.sock');
    assert.equal(path.dirname(path.dirname(p)), os.tmpdir());
    assert.notEqual(path.dirname(p), os.tmpdir());
    assert.equal(fs.statSync(path.dirname(p)).mode & 0o777, 0o700);
    fs.rmSync(path.dirname(p), { recursive: true }); // a temp cleaner removed it: it comes back
    assert.equal(fs.statSync(path.dirname(d.socketPath('b.sock'))).mode & 0o777, 0o700);
    const made = d.path;
    d.dispose();
    d.dispose();
    assert.equal(fs.existsSync(made), false);
    // $XDG_RUNTIME_DIR is preferred when it is ours
    const xdg = new PrivateSocketDir({ XDG_RUNTIME_DIR: dir });
    assert.equal(path.dirname(xdg.path), dir);
    xdg.dispose();
    // the lesson runner's default path for a unix lesson, and the shared folder
    const unixLesson = loadLessonCatalog(path.join(repoRoot, 'lessons')).lessons.find((l) => l.transport === 'unix')!;
    const { unixPath } = await chooseAddress(unixLesson);
    assert.ok(unixPath);
    assert.notEqual(path.dirname(unixPath), os.tmpdir(), unixPath);
    assert.equal(path.dirname(unixPath), sharedSocketDir().path);
    assert.equal(fs.statSync(path.dirname(unixPath)).mode & 0o777, 0o700);
    assert.ok(Buffer.byteLength(unixPath) <= unixPathLimit()!);
  });
});
