// The packet panel's host model on a real loopback capture (tcpdump/dumpcap on lo: handshake, data,
// FIN teardown): row paging, display-filter paging, details, conversations and the diagram data.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PacketRecord } from '../../src/shared/packet';
import { arraySource, FilterCancelledError, FilterError, PacketListModel, type PacketSource } from '../../src/core/panels/packetListModel';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import { isPacketDetail, isRowsPage } from '../../src/shared/packetPanelProtocol';
import { repoRoot } from './helpers';

const fixture = (name: string) => readCaptureFile(new Uint8Array(fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'packetPanel', name)))).packets;

/** A growing, bounded source like a running capture's ring. */
class GrowingSource implements PacketSource {
  firstIndex = 0;
  endIndex = 0;
  constructor(private readonly all: readonly PacketRecord[]) {}
  add(n: number): void {
    this.endIndex = Math.min(this.all.length, this.endIndex + n);
  }
  forget(n: number): void {
    this.firstIndex += n;
  }
  at(i: number): PacketRecord | undefined {
    return i >= this.firstIndex && i < this.endIndex ? this.all[i] : undefined;
  }
}

describe('packet panel: host model', () => {
  const packets = fixture('loopbackTcp.pcapng');

  it('reads the fixture: 10 packets of one loopback TCP connection', () => {
    assert.equal(packets.length, 10);
  });

  it('pages summary rows with Wireshark columns', () => {
    const m = new PacketListModel(arraySource(packets));
    assert.deepEqual(m.status, { total: 10, matched: 10, generation: 0 });
    const page = m.rows(0, 4);
    assert.ok(isRowsPage(page));
    assert.equal(page.rows.length, 4);
    assert.deepEqual(page.rows.map((r) => r.no), [1, 2, 3, 4]);
    assert.match(page.rows[0].info, /^46008 → 47811 \[SYN\] Seq=0 Win=65495 Len=0/);
    assert.match(page.rows[1].info, /\[SYN, ACK\] Seq=0 Ack=1/);
    assert.match(page.rows[2].info, /\[ACK\] Seq=1 Ack=1/);
    assert.equal(page.rows[0].protocol, 'TCP');
    assert.equal(page.rows[0].source, '127.0.0.1');
    assert.equal(page.rows[0].length, 74);
    assert.equal(page.rows[0].time, 0);
    assert.ok(page.rows[1].time > 0 && page.rows[1].time < 1);
    assert.deepEqual(page.rows.map((r) => r.tone), ['syn', 'syn', '', '']);
    assert.deepEqual(m.rows(8, 100).rows.map((r) => r.no), [9, 10], 'the last page is short');
    assert.deepEqual(m.rows(20, 10).rows, [], 'past the end is empty');
  });

  it('pages the filtered result and bumps the generation per filter', async () => {
    const m = new PacketListModel(arraySource(packets));
    const st = await m.setFilter('tcp.flags.syn == 1');
    assert.equal(st.matched, 2);
    assert.equal(st.generation, 1);
    const page = m.rows(0, 100);
    assert.deepEqual(page.rows.map((r) => r.no), [1, 2]);
    assert.equal(page.generation, 1);
    assert.equal(m.positionOf(1), 1);
    assert.equal(m.positionOf(5), -1);
    await m.setFilter('tcp.flags.fin == 1');
    assert.deepEqual(m.rows(0, 100).rows.map((r) => r.no), [8, 9]);
    assert.deepEqual(m.rows(1, 1).rows.map((r) => r.no), [9], 'a page starting inside the filtered list');
    assert.equal((await m.setFilter('')).matched, 10, 'an empty filter shows everything again');
    assert.equal(m.status.generation, 3);
  });

  it('reports a bad filter as a FilterError and keeps the previous result', async () => {
    const m = new PacketListModel(arraySource(packets));
    await m.setFilter('tcp.len > 0');
    await assert.rejects(m.setFilter('tcp.flags.syn =='), (e: unknown) => e instanceof FilterError && e.message.length > 0);
    assert.equal(m.filter, 'tcp.len > 0');
    assert.deepEqual(m.rows(0, 100).rows.map((r) => r.no), [4, 6]);
  });

  it('takes in packets as a capture grows, filtering new ones, and forgets evicted ones', async () => {
    const src = new GrowingSource(packets);
    const m = new PacketListModel(src);
    const fired: number[] = [];
    m.onDidChange((s) => fired.push(s.total));
    await m.setFilter('tcp.flags.syn == 1 || tcp.flags.fin == 1');
    assert.equal(m.status.matched, 0);
    src.add(3);
    m.sync();
    assert.deepEqual(m.rows(0, 10).rows.map((r) => r.no), [1, 2]);
    src.add(7);
    m.sync();
    assert.deepEqual(m.rows(0, 10).rows.map((r) => r.no), [1, 2, 8, 9]);
    const genBefore = m.status.generation;
    src.forget(4);
    m.sync();
    assert.equal(m.status.total, 6);
    assert.equal(m.status.generation, genBefore + 1, 'rows moved, so cached pages are stale');
    assert.deepEqual(m.rows(0, 10).rows.map((r) => r.no), [8, 9], 'evicted matches leave the filtered list');
    assert.equal(m.detail(0), undefined, 'an evicted packet has no details');
    assert.deepEqual(fired, [3, 10, 6]);
    m.sync();
    assert.deepEqual(fired, [3, 10, 6], 'no event when nothing changed');
  });

  it('applies a filter in slices: packets arriving meanwhile are included, a newer filter cancels it', async () => {
    const src = new GrowingSource(packets);
    src.add(4);
    const m = new PacketListModel(src);
    const running = m.setFilter('tcp.flags.fin == 1', 2);
    // While the first slice yields, the capture grows and the model takes the new packets in.
    src.add(6);
    m.sync();
    const st = await running;
    assert.equal(st.total, 10);
    assert.deepEqual(m.rows(0, 10).rows.map((r) => r.no), [8, 9], 'the FINs arrived during filtering and match');
    const first = m.setFilter('tcp.flags.syn == 1', 2);
    const second = m.setFilter('tcp.len > 0', 2);
    await assert.rejects(first, (e: unknown) => e instanceof FilterCancelledError);
    await second;
    assert.equal(m.filter, 'tcp.len > 0');
    assert.deepEqual(m.rows(0, 10).rows.map((r) => r.no), [4, 6]);
  });

  it('takes in a large capture in slices across turns of the event loop', async () => {
    const m = new PacketListModel(arraySource(packets), 3);
    const totals: number[] = [m.status.total];
    m.onDidChange((st) => totals.push(st.total));
    assert.equal(m.catchingUp, true);
    while (m.catchingUp) await new Promise((r) => setImmediate(r));
    assert.deepEqual(totals, [3, 6, 9, 10]);
    assert.deepEqual(m.rows(0, 10).rows.map((r) => r.no), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    m.dispose();
    m.dispose();
  });

  it('gives one packet its layers, fields with byte ranges, and bytes', () => {
    const m = new PacketListModel(arraySource(packets));
    const d = m.detail(1);
    assert.ok(d && isPacketDetail(d));
    assert.deepEqual(d.layers.map((l) => [l.name, l.role]), [['frame', 'frame'], ['eth', 'frame'], ['ip', 'packet'], ['tcp', 'segment']]);
    assert.equal(d.bytes.length, 74);
    const tcp = d.layers[3];
    const flags = tcp.fields.find((f) => f.id === 'tcp.flags');
    assert.ok(flags, 'tcp.flags field');
    assert.equal(flags.offset, 14 + 20 + 12, 'flags sit 12 bytes into the TCP header');
    assert.ok(flags.children?.some((c) => c.id === 'tcp.flags.syn'));
    const seq = tcp.fields.find((f) => f.id === 'tcp.seq');
    assert.equal(seq?.display.startsWith('0'), true, 'relative sequence number 0 on the SYN-ACK');
    // Replaying the conversation gives the same relative numbers as the first pass.
    const late = m.detail(8);
    assert.match(late?.layers[3].fields.find((f) => f.id === 'tcp.seq')?.display ?? '', /^13\b/);
    assert.equal(d.conversation, late?.conversation);
  });

  it('lists the TCP conversation and its diagram: handshake, data, teardown', () => {
    const m = new PacketListModel(arraySource(packets));
    const convs = m.conversations();
    assert.equal(convs.length, 1);
    assert.equal(convs[0].a, '127.0.0.1:46008', 'A is the side that sent the SYN');
    assert.equal(convs[0].b, '127.0.0.1:47811');
    assert.equal(convs[0].packets, 10);
    const dg = m.diagram(convs[0].key);
    assert.ok(dg);
    assert.equal(dg.segments.length, 10);
    assert.deepEqual(dg.segments.map((s) => s.flags.join(',')), ['SYN', 'SYN,ACK', 'ACK', 'PSH,ACK', 'ACK', 'PSH,ACK', 'ACK', 'FIN,ACK', 'FIN,ACK', 'ACK']);
    assert.deepEqual(dg.segments.map((s) => s.fromA), [true, false, true, true, false, false, true, true, false, true]);
    assert.deepEqual(dg.segments.map((s) => [s.seq, s.ack, s.len]).slice(0, 4), [[0, 0, 0], [0, 1, 0], [1, 1, 0], [1, 1, 6]]);
    assert.deepEqual([dg.segments[8].seq, dg.segments[8].ack], [13, 8]);
    assert.equal(m.diagram('nope'), undefined);
    assert.equal(m.records(convs[0].key).length, 10);
  });

  it('reads the same capture from a pcap file', () => {
    const pcap = fixture('loopbackTcp.pcap');
    const m = new PacketListModel(arraySource(pcap));
    assert.deepEqual(m.rows(0, 10).rows.map((r) => r.info), new PacketListModel(arraySource(packets)).rows(0, 10).rows.map((r) => r.info));
  });
});
