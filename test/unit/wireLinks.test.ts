// Linking a traced program's sends and recvs to the wire: a real Python program on loopback recorded by the call
// recorder while dumpcap captures it (two sends merged into one recv: which frames carried the recv's bytes, checked
// against tshark), and a traced client of a Socket Lab server (which transcript chunks hold a call's bytes).
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LoopbackCapture } from '../../src/core/capture/loopbackCapture';
import { PacketRing } from '../../src/core/capture/packetRing';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import { CallLog } from '../../src/core/trace/callLog';
import { TraceCollector, type CallRecord } from '../../src/core/trace/callTrace';
import { TimelineModel } from '../../src/core/panels/timelineModel';
import { TIMELINE_PANEL } from '../../src/shared/timelinePanelProtocol';
import { chunksFor, SegmentIndex, tcpHeaderOf, type PacketSource } from '../../src/core/trace/wireLinks';
import { onPath } from './helpers';

const MERGED = `import socket, sys, threading, time
P = int(sys.argv[1])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", P))
srv.listen()
def serve():
    conn, _ = srv.accept()
    time.sleep(0.3)
    data = conn.recv(1024)  # RECV
    conn.sendall(b"ok")
    conn.close()
t = threading.Thread(target=serve)
t.start()
c = socket.create_connection(("127.0.0.1", P))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.sendall(b"apple")  # SEND1
c.sendall(b"banana")  # SEND2
c.recv(10)
c.close()
t.join()
srv.close()
`;

const CLIENT = `import socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.sendall(b"apple")  # SEND1
time.sleep(0.05)
c.sendall(b"banana")  # SEND2
time.sleep(0.3)
data = c.recv(1024)  # RECV
c.close()
`;

/** Runs `source` with the recorder, as Run File does, into a CallLog. */
async function traced(dir: string, name: string, source: string, args: string[], during?: Promise<unknown>): Promise<CallLog> {
  fs.writeFileSync(path.join(dir, name), source);
  const trace = await TraceCollector.start(process.env);
  const log = new CallLog(dir);
  trace.onRecords((rs) => log.add(rs));
  try {
    const child = spawn('python3', [name, ...args], { cwd: dir, env: trace.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    await during;
    assert.equal(code, 0, err);
    await trace.drained();
  } finally {
    trace.dispose();
  }
  return log;
}

const callAt = (log: CallLog, source: string, marker: string): CallRecord => {
  const line = source.split('\n').findIndex((l) => l.includes(marker)) + 1;
  const r = log.records().find((x) => x.line === line);
  assert.ok(r, `no call at line ${line}`);
  return r;
};

/** Both ends of every connected call: what the index watches. */
const pairsOf = (log: CallLog) => log.records().flatMap((r) => (r.local && r.peer ? [[r.local, r.peer] as const] : []));

describe('wire links: traced calls ↔ captured segments ↔ Socket Lab transcripts', function () {
  this.timeout(60_000);
  const why = process.platform !== 'linux' ? 'Linux only' : !onPath('dumpcap') || !onPath('python3') || !onPath('tshark') ? 'needs dumpcap, tshark and python3' : undefined;
  let dir = '';
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-wirelinks-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('on a dumpcap capture of the run', () => {
    let log: CallLog;
    let ring: PacketRing;
    let file = '';
    let port = 0;
    before(async function () {
      if (why) this.skip();
      port = 44000 + Math.floor(Math.random() * 2000);
      file = path.join(dir, 'merged.pcapng');
      const cap = await LoopbackCapture.start(file, `tcp port ${port}`);
      if (typeof cap === 'string') this.skip();
      log = await traced(dir, 'merged.py', MERGED, [String(port)]);
      await cap.stop();
      const records = readCaptureFile(fs.readFileSync(file)).packets;
      ring = new PacketRing(records.length + 1);
      for (const r of records) ring.push(r);
    });

    /** tshark's frames: number, ports, raw sequence number and payload length. */
    const tshark = () =>
      spawnSync('tshark', ['-r', file, '-o', 'tcp.relative_sequence_numbers:FALSE', '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.seq', '-e', 'tcp.len'], { encoding: 'utf8' })
        .stdout.trim().split('\n').map((l) => l.split('\t').map(Number));

    it("reads each packet's ports, sequence number and payload length as tshark does", () => {
      const expected = tshark();
      assert.ok(expected.length >= 8, `${expected.length} frames`);
      const ours = ring.toArray().map((p, i) => {
        const h = tcpHeaderOf(p)!;
        return [i + 1, Number(h.src.split(':').pop()), Number(h.dst.split(':').pop()), h.seq, h.len];
      });
      assert.deepEqual(ours, expected);
    });

    it('names the two frames that carried the two sends merged into one recv, and each send its own frame', () => {
      const recv = callAt(log, MERGED, '# RECV');
      assert.equal(recv.returned, 11);
      const index = new SegmentIndex(ring);
      index.watch(pairsOf(log));
      const link = index.segmentsFor(log.streamRange(recv)!);
      const clientData = tshark().filter(([, src, , , len]) => src !== port && len > 0).map(([no]) => no);
      assert.equal(clientData.length, 2, 'TCP_NODELAY: one segment per send');
      assert.deepEqual(link, { frames: clientData });
      assert.deepEqual(index.segmentsFor(log.streamRange(callAt(log, MERGED, '# SEND1'))!), { frames: [clientData[0]] });
      assert.deepEqual(index.segmentsFor(log.streamRange(callAt(log, MERGED, '# SEND2'))!), { frames: [clientData[1]] });
      // the server's answer, the other way
      const answer = tshark().filter(([, src, , , len]) => src === port && len > 0).map(([no]) => no);
      const ok = log.records().find((r) => r.call === 'sendall' && r.returned === 2)!;
      assert.deepEqual(index.segmentsFor(log.streamRange(ok)!), { frames: answer });
    });

    it('lists the watched connections\' packets in a time span, oldest first and bounded', () => {
      const index = new SegmentIndex(ring);
      index.watch(pairsOf(log));
      const all = index.packets(0, Number.MAX_SAFE_INTEGER, 1000);
      assert.equal(all.packets.length, ring.length);
      assert.deepEqual(all.packets.map((p) => p.index), [...Array(ring.length).keys()]);
      const two = index.packets(0, Number.MAX_SAFE_INTEGER, 2);
      assert.equal(two.packets.length, 2);
      assert.equal(two.omitted, ring.length - 2);
      // a span in the middle: exactly the packets stamped within it
      const ts = ring.toArray().map((p) => p.tsMicros / 1e6 + (p.tsNanos ?? 0) / 1e9);
      const [from, to] = [ts[2], ts[5]];
      assert.deepEqual(index.packets(from, to, 1000).packets.map((p) => p.index), ts.flatMap((t, i) => (t >= from && t <= to ? [i] : [])));
      const unwatched = new SegmentIndex(ring);
      assert.equal(unwatched.packets(0, Number.MAX_SAFE_INTEGER, 1000).packets.length, 0);
      assert.equal(unwatched.seen, false);
    });

    it("the timeline model gives a recv's detail its frames and its sends' lines, and a window the packets under the lanes", () => {
      const model = new TimelineModel(log, 'merged.py', { captures: () => [{ id: 'capture-7', label: 'lo', packets: ring }], sessions: () => [] });
      const recv = callAt(log, MERGED, '# RECV');
      const d = model.detail(log.seqOf(recv)!)!;
      assert.ok(TIMELINE_PANEL.responseValidators.call(d));
      const clientData = tshark().filter(([, src, , , len]) => src !== port && len > 0).map(([no]) => no);
      assert.deepEqual(d.wire, { start: 0, end: 11, segments: { captureId: 'capture-7', frames: clientData } });
      const line = (m: string) => MERGED.split('\n').findIndex((l) => l.includes(m)) + 1;
      assert.deepEqual(d.linkedAt, [`merged.py:${line('# SEND1')}`, `merged.py:${line('# SEND2')}`]);
      const s = model.summary();
      const w = model.window({ from: -1, to: s.duration + 1 });
      assert.ok(TIMELINE_PANEL.responseValidators.window(w));
      assert.ok(w.packets);
      assert.equal(w.packets.captureId, 'capture-7');
      assert.deepEqual(w.packets.items.map((p) => p.frame), tshark().map(([no]) => no));
      // a packet sits on the calls' time axis: the SYN before the recv, the recv's data before it returned
      const syn = w.packets.items[0];
      assert.equal(syn.flags & 0x02, 0x02);
      const recvBar = w.calls.find((c) => c.id === log.seqOf(recv))!;
      for (const f of clientData) assert.ok(w.packets.items.find((p) => p.frame === f)!.t <= recvBar.t + recvBar.ms / 1000);
      // without captures: no band, no frames
      const bare = new TimelineModel(log, 'merged.py', { captures: () => [], sessions: () => [] });
      assert.equal(bare.window({ from: -1, to: s.duration + 1 }).packets, undefined);
      assert.equal(bare.detail(log.seqOf(recv)!)!.wire?.segments, undefined);
    });

    it('says why it cannot link: the capture began after the SYN, or the budget forgot the segments', () => {
      const recv = callAt(log, MERGED, '# RECV');
      const late: PacketSource = { firstIndex: 1, endIndex: ring.endIndex, at: (i) => (i >= 1 ? ring.at(i) : undefined) };
      const noSyn = new SegmentIndex(late);
      noSyn.watch(pairsOf(log));
      assert.deepEqual(noSyn.segmentsFor(log.streamRange(recv)!), { missing: 'noStart' });
      const small = new SegmentIndex(ring, { perDirection: 2 });
      small.watch(pairsOf(log));
      assert.deepEqual(small.segmentsFor(log.streamRange(recv)!), { missing: 'forgotten' });
      const other = new SegmentIndex(ring);
      other.watch([['127.0.0.1:1', '127.0.0.1:2']]);
      assert.deepEqual(other.segmentsFor(log.streamRange(recv)!), { missing: 'notCaptured' });
    });
  });

  it("links a traced client's sends and recv to the chunks of the Socket Lab session at the other end", async function () {
    if (!onPath('python3')) this.skip();
    const sessions = new SessionManager();
    try {
      const server = await sessions.startTcpServer({ port: 0, mode: 'echo' });
      const log = await traced(dir, 'client.py', CLIENT, [String(server.localPort)]);
      const accepted = sessions.all().find((s) => s.kind === 'tcp-accepted')!;
      // the chunks first–last of the first one's direction (the other direction's chunks sit between them)
      const bytesOf = (l: { first: number; last: number }) => {
        const chunks = accepted.transcript.chunks(l.first, l.last - l.first + 1);
        return Buffer.concat(chunks.filter((c) => c.dir === chunks[0].dir).map((c) => accepted.transcript.chunkData(c.seq)!)).toString();
      };
      const send2 = chunksFor(log.streamRange(callAt(log, CLIENT, '# SEND2'))!, sessions.all());
      assert.ok(send2);
      assert.equal(send2.sessionId, accepted.id);
      assert.equal(bytesOf(send2), 'banana');
      assert.equal(accepted.transcript.chunks(send2.first, 1)[0].dir, 'in');
      const recv = callAt(log, CLIENT, '# RECV');
      assert.equal(recv.returned, 11);
      const back = chunksFor(log.streamRange(recv)!, sessions.all())!;
      assert.equal(accepted.transcript.chunks(back.first, 1)[0].dir, 'out');
      assert.equal(bytesOf(back), 'applebanana');
      assert.equal(chunksFor(log.streamRange(recv)!, sessions.all().filter((s) => s.id !== accepted.id)), undefined);
      // the timeline's detail of the recv names them
      const model = new TimelineModel(log, 'client.py', { captures: () => [], sessions: () => sessions.all() });
      const d = model.detail(log.seqOf(recv)!)!;
      assert.deepEqual(d.wire, { start: 0, end: 11, chunks: { sessionId: accepted.id, label: accepted.label, first: back.first, last: back.last } });
      assert.ok(TIMELINE_PANEL.responseValidators.call(d));
      // the session has its own lane beside the client's, its chunks on it, each linked to the calls that moved its bytes
      const sum = model.summary();
      const client = sum.lanes.findIndex((l) => l.kind === 'tcp' && l.peer === `127.0.0.1:${server.localPort}`);
      const lane = sum.lanes[client + 1];
      assert.deepEqual(lane, { key: `sl:${accepted.id}`, pid: 0, kind: 'tcp', local: sum.lanes[client].peer, peer: sum.lanes[client].local, calls: accepted.transcript.nextSeq, socketLab: accepted.label });
      const w = model.window({ from: -1, to: sum.duration + 1 });
      assert.ok(TIMELINE_PANEL.responseValidators.window(w));
      assert.deepEqual(w.chunks?.map((c) => [c.lane, c.seq, c.dir, c.len]), accepted.transcript.chunks().map((c) => [lane.key, c.seq, c.dir, c.length]));
      const linksOf = (r: CallRecord) => (w.chunkLinks ?? []).filter((l) => l.call === log.seqOf(r)).map((l) => l.seq);
      assert.deepEqual(linksOf(callAt(log, CLIENT, '# SEND2')), [send2.first]);
      const recvChunks = linksOf(recv);
      assert.deepEqual([recvChunks[0], recvChunks[recvChunks.length - 1]], [back.first, back.last]);
      assert.ok(recvChunks.every((seq) => accepted.transcript.chunks(seq, 1)[0].dir === 'out'));
      // a filter to the client's lane leaves the session's chunks out
      assert.equal(model.window({ from: -1, to: sum.duration + 1, lanes: [sum.lanes[client].key] }).chunks, undefined);
    } finally {
      sessions.dispose();
    }
  });
});
