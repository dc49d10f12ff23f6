// Packet panel host model: what it costs on top of plain decoding to take in a capture, apply a
// display filter and serve a page of rows. Baseline: dissect() of the same packets in the same run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PacketRecord } from '../src/shared/packet';
import { DissectContext, dissect } from '../src/core/decode/dissect';
import { ReplayLog } from '../src/core/decode/replayLog';
import { arraySource, PacketListModel } from '../src/core/panels/packetListModel';
import { readCaptureFile } from '../src/core/pcap/pcapReader';

const base = readCaptureFile(new Uint8Array(fs.readFileSync(path.join(__dirname, '..', 'test', 'fixtures', 'packetPanel', 'loopbackTcp.pcapng')))).packets;
const N = 100_000;
// A long capture: the fixture's connection repeated, each copy on its own client port and later in time.
const packets: PacketRecord[] = [];
for (let i = 0; packets.length < N; i++) {
  for (const p of base) {
    const data = p.data.slice();
    const port = 20000 + (i % 40000);
    const client = data[34] * 256 + data[35] === 46008 ? 34 : 36; // which port field is the client's
    data[client] = port >> 8;
    data[client + 1] = port & 0xff;
    packets.push({ ...p, data, tsMicros: p.tsMicros + i * 100_000 });
    if (packets.length === N) break;
  }
}

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

// The same records on the fixture's own ports: one TCP connection 100,000 packets long (the SYN repeats its ISN, so no new stream).
const oneConnection: PacketRecord[] = packets.map((p, i) => ({ ...base[i % base.length], tsMicros: p.tsMicros }));

const best = (runs: number, fn: () => void) => Math.min(...Array.from({ length: runs }, () => time(fn)));

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main(): Promise<void> {
  const baseline = best(3, () => {
    const ctx = new DissectContext();
    for (const p of packets) dissect(p, ctx);
  });
  let model: PacketListModel | undefined;
  const ingest = best(3, () => {
    model = new PacketListModel(arraySource(packets), Infinity);
  });
  const m = model as PacketListModel;
  // Two filters: the decoder's predicate costs differ a lot between field kinds.
  const filterSyn = await timeAsync(() => m.setFilter('tcp.flags.syn == 1'));
  const matchedSyn = m.status.matched;
  const filterPort = await timeAsync(() => m.setFilter('tcp.port == 47811'));
  const page = best(5, () => {
    for (let s = 0; s < 2000; s += 100) m.rows(s, 100);
  }) / 20;
  m.setFilter('');
  const pageAll = best(5, () => m.rows(N / 2, 100));
  const detail = best(5, () => m.detail(N - 1));
  const diagram = best(5, () => m.diagram(m.conversations()[0].key));
  // A row click must cost the same whatever the length of the packet's connection.
  const long = new PacketListModel(arraySource(oneConnection), Infinity);
  for (let i = 0; i < 50; i++) [long, m].forEach((x) => x.detail(N - 1)); // both warmed alike: the first measured would pay the JIT
  const detailLong = best(25, () => long.detail(N - 1));
  const detailShort = best(25, () => m.detail(N - 1));
  long.dispose();
  // What the model keeps per packet for that: the conversation facts of its first dissection.
  const heap = () => {
    for (let i = 0; i < 3; i++) (globalThis as { gc?: () => void }).gc?.();
    const u = process.memoryUsage();
    return u.heapUsed + u.arrayBuffers;
  };
  const ctx = new DissectContext();
  const dissected = packets.map((p, i) => dissect(p, ctx, i + 1));
  const h0 = heap();
  const log = new ReplayLog();
  dissected.forEach((p, i) => log.record(i, p));
  const factBytes = (heap() - h0) / N;

  console.log(`packets: ${N} (one 10-segment TCP connection, repeated)`);
  console.log(`baseline dissect: ${((baseline * 1e3) / N).toFixed(2)} µs/packet (${baseline.toFixed(0)} ms)`);
  console.log(`model ingest (dissect + row summary + conversation): ${(ingest / baseline).toFixed(2)}× baseline, ${((ingest * 1e3) / N).toFixed(2)} µs/packet`);
  console.log(`display filter tcp.flags.syn == 1 over all packets (re-dissect + predicate, in slices): ${(filterSyn / baseline).toFixed(2)}× baseline, ${filterSyn.toFixed(0)} ms, ${matchedSyn} matched`);
  console.log(`display filter tcp.port == 47811: ${(filterPort / baseline).toFixed(2)}× baseline, ${filterPort.toFixed(0)} ms`);
  console.log(`one page of 100 filtered rows: ${(page * 1e3).toFixed(1)} µs; of unfiltered rows: ${(pageAll * 1e3).toFixed(1)} µs (${((pageAll / baseline) * 1e6).toFixed(1)} ppm of baseline)`);
  console.log(`details of the last packet (dissected alone from its first-pass facts): ${(detail * 1e3).toFixed(0)} µs`);
  console.log(`row click (details of the last packet), one ${N}-packet connection vs ${N / base.length} short ones: ${(detailLong / detailShort).toFixed(2)}× (${(detailLong * 1e3).toFixed(0)} µs vs ${(detailShort * 1e3).toFixed(0)} µs)`);
  console.log(`first-pass facts kept for row clicks: ${factBytes.toFixed(1)} B/packet (${((factBytes * N) / 1e6).toFixed(1)} MB for ${N} packets, log end ${log.end})`);
  console.log(`diagram of one connection (with the conversation list): ${(diagram * 1e3).toFixed(0)} µs`);
}

void main();
