// Follow Stream in the packet panel (issue 17): both models (a file, a live capture's retained packets) follow every
// TCP and UDP conversation of real loopback captures into the chunks `socket-lab follow` prints (the same frames,
// nodes and bytes, which the CLI's own tests hold to tshark's), readable by page and by byte range.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DissectContext, dissect } from '../../src/core/decode/dissect';
import { followCapture } from '../../src/core/follow/captureFollow';
import type { FollowChunk } from '../../src/core/follow/streamFollower';
import { FilePacketListModel } from '../../src/core/panels/filePacketListModel';
import { FollowModel } from '../../src/core/panels/followModel';
import { arraySource, PacketListModel } from '../../src/core/panels/packetListModel';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import { isChunkView, MAX_CHUNK_PAGE } from '../../src/shared/sessionPanelProtocol';
import { repoRoot } from '../support';

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
              assert.equal(info.aBytes + info.bBytes, want.reduce((n, x) => n + (x.missing ?? x.hex.length / 2), 0));
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
