// Debug File records socket calls as Run File does: the launch configuration carries the recorder's environment, and
// under a Python debugger (debugpy/pydevd, which run the program from their own frames and talk to VS Code over their
// own sockets in the program's process) only the program's calls are recorded, at the program's lines.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { debugConfiguration } from '../../src/core/programs/debugConfig';
import { type CallRecord, TraceCollector } from '../../src/core/trace/callTrace';

const made: string[] = [];
after(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-debugrec-'));
  made.push(d);
  return d;
}

/** A stand-in for debugpy: its own socket pair (its channel to VS Code, used from a thread), then the program by runpy. */
const FAKE_DEBUGPY = `import runpy, socket, sys, threading
a, b = socket.socketpair()
def channel():
    b.sendall(b'{"event":"initialized"}')
    a.recv(100)
t = threading.Thread(target=channel)
t.start()
t.join()
runpy.run_path(sys.argv[1], run_name='__main__')
a.close()
b.close()
`;

const PROGRAM = `import socket
srv = socket.socket()
srv.bind(('127.0.0.1', 0))
srv.listen()
c = socket.create_connection(srv.getsockname())
conn, _ = srv.accept()
c.sendall(b'apple')
print(conn.recv(100))
for s in (c, conn, srv):
    s.close()
`;

describe('Debug File records the program\'s socket calls', function () {
  it('the launch configuration carries the recorder\'s environment: PYTHONPATH for debugpy, NODE_OPTIONS for node', () => {
    const env = { PYTHONPATH: '/tmp/x', SOCKET_LAB_TRACE_SOCKET: '/tmp/x/calls.sock' };
    const py = debugConfiguration({ file: '/w/a.py', language: 'python', name: 'a.py', watchId: 'id1', env });
    assert.deepEqual({ type: py.type, cwd: py.cwd, env: py.env, program: py.program, id: py.socketLabWatchId }, { type: 'debugpy', cwd: '/w', env, program: '/w/a.py', id: 'id1' });
    const node = debugConfiguration({ file: '/w/a.ts', language: 'typescript', name: 'a.ts', watchId: 'id2', env: { NODE_OPTIONS: '--require "/tmp/x/s.cjs"' } });
    assert.equal(node.type, 'node');
    assert.deepEqual(node.env, { NODE_OPTIONS: '--require "/tmp/x/s.cjs"' });
    assert.deepEqual(node.runtimeArgs, ['--experimental-strip-types']);
    assert.equal(debugConfiguration({ file: '/w/a.ts', language: 'typescript', name: 'a.ts', watchId: 'i', tsx: '/w/node_modules/.bin/tsx' }).runtimeExecutable, '/w/node_modules/.bin/tsx');
    assert.equal('env' in debugConfiguration({ file: '/w/a.js', language: 'javascript', name: 'a.js', watchId: 'i' }), false, 'no recorder, no env');
  });

  it('under a debugger (debugpy\'s frames around the program, its own socket channel) only the program\'s calls, at its lines', async () => {
    const dir = tempDir();
    const libs = tempDir();
    fs.mkdirSync(path.join(libs, 'debugpy'));
    fs.writeFileSync(path.join(libs, 'debugpy', '__init__.py'), '');
    fs.writeFileSync(path.join(libs, 'debugpy', 'launcher.py'), FAKE_DEBUGPY);
    fs.writeFileSync(path.join(dir, 'prog.py'), PROGRAM);
    const trace = await TraceCollector.start(process.env);
    const records: CallRecord[] = [];
    trace.onRecords((rs) => records.push(...rs));
    try {
      const config = debugConfiguration({ file: path.join(dir, 'prog.py'), language: 'python', name: 'prog.py', watchId: 'w', env: { PYTHONPATH: trace.env.PYTHONPATH!, SOCKET_LAB_TRACE_SOCKET: trace.env.SOCKET_LAB_TRACE_SOCKET! } });
      // as debugpy's launcher: the configuration's env over VS Code's, the program run from the debugger's frames
      const child = spawn('python3', [path.join(libs, 'debugpy', 'launcher.py'), config.program], { cwd: config.cwd, env: { ...process.env, ...config.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      await trace.drained();
      assert.equal(code, 0, out);
      assert.match(out, /b'apple'/);
    } finally {
      trace.dispose();
    }
    const debuggerCalls = records.filter((r) => r.file === null || r.file === undefined || /debugpy/.test(String(r.file)));
    assert.deepEqual(debuggerCalls.map((r) => `${r.call} ${r.file}:${r.line}`), [], 'the debugger\'s own calls are not the program\'s');
    const at = (call: string) => records.filter((r) => r.call === call).map((r) => `${r.file}:${r.line}`);
    assert.deepEqual(at('sendall'), ['prog.py:7']);
    assert.deepEqual(at('recv'), ['prog.py:8']);
    assert.deepEqual(at('accept'), ['prog.py:6']);
  });
});
