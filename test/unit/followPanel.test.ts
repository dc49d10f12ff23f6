// Follow Stream in the packet panel (issue 17): both models (a file, a live capture's retained packets) follow every
// TCP and UDP conversation of real loopback captures into the chunks `socket-lab follow` prints (the same frames,
// nodes and bytes, which the CLI's own tests hold to tshark's), readable by page and by byte range.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DissectContext, dissect } from '../../src/core/decode/dissect';
import { followCapture } from '../../src/core/follow/captureFollow';
import type { FollowChunk } from '../../src/core/follow/streamFollower';
import { FilePacketListModel } from '../../src/core/panels/filePacketListModel';
import { FollowModel } from '../../src/core/panels/followModel';
import { arraySource, PacketListModel } from '../../src/core/panels/packetListModel';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import { isChunkView, MAX_CHUNK_PAGE } from '../../src/shared/sessionPanelProtocol';
import { LoopbackCapture } from '../../src/core/capture/loopbackCapture';
import { repoRoot } from '../support';
import { onPath } from './helpers';

const fixtures = ['decode/lo4.pcap', 'decode/lo6.pcap', 'decode/any-sll2.pcap', 'decode/lo-dumpcap.pcapng', 'packetPanel/loopbackTcp.pcapng'].map((f) => path.join(repoRoot, 'test', 'fixtures', f));

async function cliChunks(file: string, protocol: 'tcp' | 'udp', stream: number): Promise<FollowChunk[]> {
  const out: FollowChunk[] = [];
  for await (const batch of followCapture(file, { protocol, stream })) out.push(...batch);
  return out;
}

/** What a FollowModel shows, page by page, as (node, frame, bytes or gap). */
function shown(m: FollowModel): { node: number; frame: number | undefined; hex: string; missing?: number }[] {
  const out: { node: number; frame: number | undefined; hex: string; missing?: number }[] = [];
  for (let seq = 0; ; ) {
    const page = m.chunks(seq, MAX_CHUNK_PAGE, 'hex', 'utf-8', 1 << 20);
    for (const c of page.chunks) {
      assert.ok(isChunkView(c), 'a chunk passes the session protocol validator');
      const bytes = m.readRange(c.offset, c.length).bytes;
      out.push({ node: c.dir === 'out' ? 0 : 1, frame: c.frame, hex: Buffer.from(bytes).toString('hex'), ...(c.missing === undefined ? {} : { missing: c.missing }) });
    }
    if (page.chunks.length === 0) break;
    seq = page.chunks[page.chunks.length - 1].seq + 1;
  }
  return out;
}

const expected = (chunks: FollowChunk[]) =>
  chunks.map((c) => (c.kind === 'data' ? { node: c.node, frame: c.frame, hex: Buffer.from(c.bytes).toString('hex') } : { node: c.node, frame: c.frame, hex: '', missing: c.length }));

describe('packet panel: Follow Stream', function () {
  this.timeout(30_000);

  it('follows every conversation of the fixtures from a file and from a live capture, exactly as socket-lab follow does', async () => {
    let followed = 0;
    let bytes = 0;
    for (const file of fixtures) {
      const fileModel = await FilePacketListModel.open(file);
      const live = new PacketListModel(arraySource(readCaptureFile(fs.readFileSync(file)).packets));
      try {
        const { conversations } = await fileModel.statistics();
        for (const c of conversations) {
          const want = expected(await cliChunks(file, c.proto, c.stream));
          for (const model of [fileModel, live]) {
            const m = (await model.follow(c.key))!;
            try {
              const info = m.info();
              assert.equal(info.a, c.a, `${path.basename(file)} ${c.filter}: A`);
              assert.equal(info.truncated, false);
              assert.deepEqual(shown(m), want, `${path.basename(file)} ${c.filter}: the chunks`);
              assert.equal(info.aBytes + info.bBytes, want.reduce((n, x) => n + x.hex.length / 2, 0));
              assert.equal(info.missingBytes, want.reduce((n, x) => n + (x.missing ?? 0), 0));
            } finally {
              m.dispose();
            }
          }
          followed++;
          bytes += want.reduce((n, x) => n + x.hex.length / 2, 0);
        }
        assert.equal(await fileModel.follow('no such conversation'), undefined);
      } finally {
        fileModel.dispose();
        live.dispose();
      }
    }
    assert.ok(followed >= 6 && bytes > 0, `${followed} conversations, ${bytes} bytes followed`);
  });

  it('keeps at most its byte budget of a long stream and says it was cut', async () => {
    const file = path.join(repoRoot, 'test', 'fixtures', 'packetPanel', 'loopbackTcp.pcapng');
    const live = new PacketListModel(arraySource(readCaptureFile(fs.readFileSync(file)).packets));
    try {
      const c = live.statistics().conversations.find((x) => x.proto === 'tcp')!;
      const full = (await live.follow(c.key))!;
      const total = full.info().aBytes + full.info().bBytes;
      full.dispose();
      assert.ok(total > 4, 'the fixture carries payload both ways');
      // the same stream through a model that keeps only 4 bytes
      const small = new FollowModel({ proto: 'tcp', key: c.key, stream: c.stream, src: c.a, dst: c.b }, 4);
      const records = readCaptureFile(fs.readFileSync(file)).packets;
      const ctx = new DissectContext();
      records.forEach((r, i) => small.take(dissect(r, ctx, i + 1), r.data));
      assert.equal(small.info().truncated, true);
      assert.ok(small.info().transcript.endOffset <= 4, 'no more than the budget is kept');
      small.dispose();
    } finally {
      live.dispose();
    }
  });
});

const THREE_SENDS = String.raw`
import socket, sys, time
srv = socket.socket(); srv.bind(('127.0.0.1', int(sys.argv[1]))); srv.listen()
c = socket.create_connection(('127.0.0.1', int(sys.argv[1]))); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s, _ = srv.accept()
for m in (b'first segment\n', b'second, the lost one\n', b'third\n'):
    c.sendall(m); s.recv(100); time.sleep(0.05)
s.sendall(b'bye\n'); c.recv(100); c.close(); s.close(); srv.close()
`;

describe('packet panel: Follow Stream summary', function () {
  this.timeout(60_000);
  const why = process.platform !== 'linux' ? 'Linux only' : !onPath('dumpcap') || !onPath('python3') ? 'needs dumpcap and python3' : undefined;

  it('counts only the bytes the capture holds; the bytes of its gaps are stated apart', async function () {
    if (why) this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'follow-gap-'));
    try {
      const port = 43000 + Math.floor(Math.random() * 2000);
      const cap = await LoopbackCapture.start(path.join(dir, 'gap.pcapng'), `tcp port ${port}`);
      if (typeof cap === 'string') this.skip();
      fs.writeFileSync(path.join(dir, 'three.py'), THREE_SENDS);
      const r = spawnSync('python3', [path.join(dir, 'three.py'), String(port)], { encoding: 'utf8', timeout: 30_000 });
      await cap.stop();
      assert.equal(r.status, 0, r.stderr);
      const records = readCaptureFile(fs.readFileSync(cap.file)).packets;
      const ctx = new DissectContext();
      const pkts = records.map((rec, i) => dissect(rec, ctx, i + 1));
      // the client's second data segment is lost; the server acknowledged it, so the follower shows a gap
      const lost = pkts.map((p, i) => ({ p, i })).filter(({ p }) => p.tcp !== undefined && p.tcp.len > 0 && p.tcp.dstPort === port)[1];
      const t = lost.p.tcp!;
      assert.equal(t.len, 'second, the lost one\n'.length);
      const flow = { proto: 'tcp' as const, key: 'k', stream: t.stream, src: `${t.srcAddr}:${t.srcPort}`, dst: `${t.dstAddr}:${t.dstPort}` };
      const whole = new FollowModel(flow);
      const holed = new FollowModel(flow);
      const [c2, c3] = [new DissectContext(), new DissectContext()];
      records.forEach((rec, i) => {
        whole.take(dissect(rec, c2, i + 1), rec.data);
        if (i !== lost.i) holed.take(dissect(rec, c3, i + 1), rec.data);
      });
      const w = whole.info();
      const h = holed.info();
      assert.equal(w.gaps, 0);
      assert.equal(w.missingBytes, 0);
      assert.equal(h.gaps, 1, 'the dropped segment is one gap');
      assert.equal(h.missingBytes, t.len, 'the gap stands for the dropped payload');
      assert.equal(h.aBytes + h.bBytes, w.aBytes + w.bBytes - t.len, 'the byte totals hold only bytes present');
      whole.dispose();
      holed.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
