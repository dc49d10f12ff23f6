// The timeline's model over the calls a real Python program made on loopback (recorded by the call recorder): lanes
// per socket, time windows that stay bounded, send → recv links, filters, one call's details and bytes.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TimelineModel } from '../../src/core/panels/timelineModel';
import { CallLog } from '../../src/core/trace/callLog';
import { TraceCollector, type CallRecord } from '../../src/core/trace/callTrace';
import { MAX_WINDOW_CALLS, TIMELINE_PANEL } from '../../src/shared/timelinePanelProtocol';

const sticky = `import socket, threading, time
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen()
def serve():
    conn, _ = srv.accept()
    time.sleep(0.3)
    data = conn.recv(1024)  # RECV
    conn.close()
t = threading.Thread(target=serve)
t.start()
c = socket.create_connection(srv.getsockname())
c.sendall(b"apple")  # SEND1
c.sendall(b"banana")  # SEND2
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(0.05)
try:
    u.recvfrom(10)  # TIMEOUT
except TimeoutError:
    pass
c.close()
t.join()
`;
const lineOf = (marker: string) => sticky.split('\n').findIndex((l) => l.includes(marker)) + 1;

let dir = '';
let log: CallLog;

/** Runs the program with the recorder into a CallLog, as Run File does. */
async function record(): Promise<CallLog> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-timeline-'));
  fs.writeFileSync(path.join(dir, 'sticky.py'), sticky);
  const trace = await TraceCollector.start(process.env);
  const l = new CallLog(dir);
  trace.onRecords((rs) => l.add(rs));
  try {
    const child = spawn('python3', ['sticky.py'], { cwd: dir, env: trace.env, stdio: 'ignore' });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(code, 0);
    await trace.drained();
  } finally {
    trace.dispose();
  }
  return l;
}

describe('timeline model', function () {
  this.timeout(30_000);
  before(async () => {
    log = await record();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('has a lane per socket with its kind and addresses, and the run\'s counts', () => {
    const m = new TimelineModel(log, 'sticky.py');
    const s = m.summary();
    const byKind = (k: string) => s.lanes.filter((l) => l.kind === k);
    assert.equal(byKind('listener').length, 1);
    assert.match(byKind('listener')[0].local ?? '', /^127\.0\.0\.1:\d+$/);
    const tcp = byKind('tcp');
    assert.equal(tcp.length, 2, JSON.stringify(s.lanes)); // the client and the accepted connection
    assert.equal(tcp[0].local, tcp[1].peer);
    assert.equal(tcp[0].peer, tcp[1].local);
    assert.equal(byKind('udp').length, 1);
    assert.ok(s.callNames.includes('sendall') && s.callNames.includes('recv') && s.callNames.includes('recvfrom'));
    assert.equal(s.kept, log.records().length);
    assert.equal(s.total, s.kept);
    assert.equal(s.dropped, 0);
    assert.ok(s.duration >= 0.3, `the run lasted ${s.duration} s`);
    assert.ok(TIMELINE_PANEL.responseValidators.ready({ ...s, strings: {} }), 'the summary passes the protocol\'s check');
  });

  it('links both sends to the one recv that returned their bytes; the recv\'s bar is as long as it blocked', () => {
    const m = new TimelineModel(log, 'sticky.py');
    const w = m.window({ from: 0, to: m.summary().duration });
    assert.ok(TIMELINE_PANEL.responseValidators.window(w));
    const at = (marker: string) => w.calls.filter((c) => c.line === lineOf(marker));
    const [s1] = at('SEND1');
    const [s2] = at('SEND2');
    const [recv] = at('RECV');
    assert.deepEqual(
      w.links.filter((l) => l.to === recv.id).map((l) => l.from).sort((a, b) => a - b),
      [s1.id, s2.id],
    );
    assert.notEqual(s1.lane, recv.lane);
    const [timeout] = at('TIMEOUT');
    assert.equal(timeout.error, true);
    assert.ok(timeout.ms >= 40, `recvfrom blocked ${timeout.ms} ms before its timeout`);
    assert.equal(w.omitted, 0);
    const d = m.detail(recv.id);
    assert.ok(d && TIMELINE_PANEL.responseValidators.call(d));
    assert.equal(Buffer.from(d.bytes).toString(), 'applebanana');
    assert.deepEqual([...d.linked].sort((a, b) => a - b), [s1.id, s2.id]);
    assert.equal(d.file, 'sticky.py');
    assert.deepEqual(m.sourceOf(recv.id), { file: path.join(dir, 'sticky.py'), line: lineOf('RECV') });
    assert.equal(m.latestAt(path.join(dir, 'sticky.py'), lineOf('SEND2')), s2.id);
    assert.equal(m.detail(1_000_000), undefined);
  });

  it('a window holds only the calls that meet it; filters by socket and by call name', () => {
    const m = new TimelineModel(log, 'sticky.py');
    const all = m.window({ from: 0, to: 1e9 }).calls;
    const recv = all.find((c) => c.line === lineOf('RECV'))!;
    const timeout = all.find((c) => c.line === lineOf('TIMEOUT'))!;
    // 10 ms into the recvfrom that waits 50 ms for its timeout: it is still blocked there, the sends are done
    const w = m.window({ from: timeout.t + 0.01, to: timeout.t + 0.02 });
    assert.ok(w.calls.some((c) => c.id === timeout.id));
    assert.ok(!w.calls.some((c) => c.call === 'sendall'));
    assert.ok(w.calls.length < all.length);
    const sends = m.window({ from: 0, to: 1e9, calls: ['sendall'] });
    assert.deepEqual(new Set(sends.calls.map((c) => c.call)), new Set(['sendall']));
    const lane = m.window({ from: 0, to: 1e9, lanes: [recv.lane] });
    assert.ok(lane.calls.length > 0 && lane.calls.every((c) => c.lane === recv.lane));
    assert.equal(lane.links.length, 0, 'the sends\' lane is filtered out, so no arrow ends there');
  });

  it('a socket that gets a closed socket\'s fd number has its own lane', () => {
    // as a real run went: the client's fd 5 is closed before the server thread's accept returns, which gets fd 5 again
    const l = new CallLog('/p');
    const r = (call: string, fd: number, more: Partial<CallRecord> = {}): CallRecord => ({ t: 100, call, pid: 7, fd, ...more });
    const srv = '127.0.0.1:5000';
    const cli = '127.0.0.1:40000';
    l.add([
      r('socket', 4, { type: 'SOCK_STREAM' }), r('listen', 4, { local: srv }), r('socket', 5, { type: 'SOCK_STREAM' }),
      r('connect', 5, { local: cli, peer: srv }), r('sendall', 5, { local: cli, peer: srv, returned: 5 }), r('close', 5),
      r('accept', 4, { local: srv, new_fd: 5, peer: cli }), r('recv', 5, { local: srv, peer: cli, returned: 5 }), r('close', 5),
      r('socket', 5, { type: 'SOCK_DGRAM' }), r('sendto', 5, { peer: srv, returned: 1 }),
    ]);
    const m = new TimelineModel(l, 'x');
    const lanes = m.summary().lanes.filter((x) => x.fd === 5);
    assert.deepEqual(lanes.map((x) => [x.key, x.kind, x.local, x.peer, x.calls]), [
      ['7:5', 'tcp', cli, srv, 4],
      ['7:5.1', 'tcp', srv, cli, 2],
      ['7:5.2', 'udp', undefined, undefined, 2],
    ]);
    const w = m.window({ from: 0, to: 1 });
    assert.deepEqual(w.links.map((k) => [w.calls.find((c) => c.id === k.from)?.lane, w.calls.find((c) => c.id === k.to)?.lane]), [['7:5', '7:5.1']]);
  });

  it('a window never carries more than MAX_WINDOW_CALLS calls, and counts what it left out', () => {
    const big = new CallLog('/p');
    const recs: CallRecord[] = [];
    for (let i = 0; i < 10_000; i++) recs.push({ t: 100 + i / 1000, call: 'send', pid: 1, fd: 3, returned: 1, local: 'a:1', peer: 'b:2', blocked_ms: 0.01 });
    big.add(recs);
    big.add([{ t: 1, call: 'dropped', count: 5 }]);
    const m = new TimelineModel(big, 'x');
    const w = m.window({ from: 0, to: 100 });
    assert.equal(w.calls.length, MAX_WINDOW_CALLS);
    assert.equal(w.omitted, 10_000 - MAX_WINDOW_CALLS);
    assert.deepEqual(w.calls.slice(0, 2).map((c) => c.id), [0, 1]);
    assert.equal(m.window({ from: 1, to: 1.0995 }).calls.length, 100);
    assert.equal(m.summary().dropped, 5);
  });
});
