// The packet panel's statistics (issue 17): the Conversations table agrees with `tshark -z conv,tcp/udp` (endpoints,
// frames and bytes each way, relative start, duration) and the I/O graph with `tshark -z io,stat`, on the decode
// fixtures and on a capture real programs make on lo; both models (file and live) give the same; memory is bounded.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConversationStat, IoGraph } from '../../src/shared/packetPanelProtocol';
import { isCaptureStatistics, isConversationPage, isIoGraph, isPacketPanelRequest, MAX_CONVERSATION_PAGE, MAX_IO_GRAPH_BINS } from '../../src/shared/packetPanelProtocol';
import { CaptureStatistics, type Flow, IoBinner } from '../../src/core/panels/captureStatistics';
import { DissectContext, dissect } from '../../src/core/decode/dissect';
import { FilePacketListModel } from '../../src/core/panels/filePacketListModel';
import { arraySource, PacketListModel } from '../../src/core/panels/packetListModel';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import { PcapWriter } from '../../src/core/pcap/pcapWriter';
import { LoopbackCapture } from '../../src/core/capture/loopbackCapture';
import { pythonPeer, repoRoot } from '../support';

const hasTshark = spawnSync('tshark', ['-v']).status === 0;
const fixtures = ['decode/lo4.pcap', 'decode/lo6.pcap', 'decode/any-sll.pcap', 'decode/any-sll2.pcap', 'decode/lo-dumpcap.pcapng', 'packetPanel/loopbackTcp.pcapng'].map((f) =>
  path.join(repoRoot, 'test', 'fixtures', f),
);

interface TsharkConv {
  a: string;
  b: string;
  /** B→A and A→B: frames, and bytes with the precision tshark printed them to. */
  bToA: [number, number, number];
  aToB: [number, number, number];
  start: number;
  /** As tshark printed it (%.9f). */
  startText: string;
  duration: number;
}

const UNIT: Record<string, number> = { bytes: 1, kB: 1e3, MB: 1e6, GB: 1e9 };

/** `tshark -q -z conv,PROTO` rows: "A <-> B  f b unit  f b unit  f b unit  start  duration"; "<-" is B→A. */
function tsharkConversations(file: string, proto: 'tcp' | 'udp'): TsharkConv[] {
  const out = spawnSync('tshark', ['-n', '-q', '-r', file, '-z', `conv,${proto}`], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const rows: TsharkConv[] = [];
  const re = /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+)\s+(bytes|kB|MB|GB)\s+(\d+)\s+(\d+)\s+(bytes|kB|MB|GB)\s+\d+\s+\d+\s+\S+\s+([\d.]+)\s+([\d.]+)\s*$/;
  for (const line of out.stdout.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    rows.push({ a: m[1], b: m[2], bToA: [Number(m[3]), Number(m[4]), UNIT[m[5]]], aToB: [Number(m[6]), Number(m[7]), UNIT[m[8]]], start: Number(m[9]), startText: m[9], duration: Number(m[10]) });
  }
  return rows;
}

/** Bytes agree to the unit tshark printed (it prints 150,602 bytes as "150 kB"). */
const bytesAgree = (ours: number, [, value, unit]: [number, number, number]) => Math.floor(ours / unit) === value;
/** tshark writes an IPv6 endpoint without brackets ("::1:44106"); ours has them ("[::1]:44106"), as URLs do. */
const plain = (endpoint: string) => endpoint.replace(/^\[(.*)\]:(\d+)$/, '$1:$2');

function assertAgrees(file: string, ours: readonly ConversationStat[]): number {
  let compared = 0;
  for (const proto of ['tcp', 'udp'] as const) {
    const theirs = tsharkConversations(file, proto);
    const mine = ours.filter((c) => c.proto === proto);
    assert.equal(mine.length, theirs.length, `${path.basename(file)}: ${proto} conversations`);
    for (const t of theirs) {
      const c = mine.find((x) => plain(x.a) === t.a && plain(x.b) === t.b);
      assert.ok(c, `${path.basename(file)}: ${t.a} <-> ${t.b} (A sent first) is listed; ours: ${mine.map((x) => `${x.a} <-> ${x.b}`).join(', ')}`);
      const what = `${path.basename(file)} ${proto} ${t.a} <-> ${t.b}`;
      assert.equal(c.aToB.packets, t.aToB[0], `${what}: frames A→B`);
      assert.equal(c.bToA.packets, t.bToA[0], `${what}: frames B→A`);
      assert.ok(bytesAgree(c.aToB.bytes, t.aToB), `${what}: bytes A→B ${c.aToB.bytes} vs ${t.aToB[1]}×${t.aToB[2]}`);
      assert.ok(bytesAgree(c.bToA.bytes, t.bToA), `${what}: bytes B→A ${c.bToA.bytes} vs ${t.bToA[1]}×${t.bToA[2]}`);
      assert.equal(c.start.toFixed(9), t.startText, `${what}: relative start, to the ns`);
      assert.ok(Math.abs(c.duration - t.duration) < 1e-4 + 1e-9, `${what}: duration ${c.duration} vs ${t.duration}`);
      assert.equal(c.filter, `${proto}.stream == ${c.stream}`);
      compared++;
    }
  }
  return compared;
}

/** `tshark -z io,stat,INTERVAL` frames and bytes per interval (the last interval may be short). */
function tsharkIo(file: string, intervalS: number): { frames: number[]; bytes: number[] } {
  const out = spawnSync('tshark', ['-n', '-q', '-r', file, '-z', `io,stat,${intervalS}`], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const frames: number[] = [];
  const bytes: number[] = [];
  for (const line of out.stdout.split('\n')) {
    const m = /^\|\s*[\d.]+\s*<>\s*(?:[\d.]+|Dur)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|$/.exec(line);
    if (!m) continue;
    frames.push(Number(m[1]));
    bytes.push(Number(m[2]));
  }
  return { frames, bytes };
}

/** `tshark -z io,stat,INTERVAL,COUNT(field)field`: frames holding `field` per interval. */
function tsharkCount(file: string, intervalS: number, field: string): number[] {
  const out = spawnSync('tshark', ['-n', '-q', '-r', file, '-z', `io,stat,${intervalS},COUNT(${field})${field}`], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return [...out.stdout.matchAll(/^\|\s*[\d.]+\s*<>\s*(?:[\d.]+|Dur)\s*\|\s*(\d+)\s*\|/gm)].map((m) => Number(m[1]));
}

/** Our graph's bins against tshark's at the same interval (tshark's trailing empty bins are not drawn by us). */
function assertIoAgrees(file: string, g: IoGraph): void {
  const ours = g.series[0];
  const theirs = tsharkIo(file, g.intervalMs / 1000);
  assert.ok(theirs.frames.length > 0, 'tshark printed intervals');
  const n = Math.max(ours.packets.length, theirs.frames.length);
  for (let i = 0; i < n; i++) {
    assert.equal(ours.packets[i] ?? 0, theirs.frames[i] ?? 0, `${path.basename(file)}: frames in interval ${i} of ${g.intervalMs} ms`);
    assert.equal(ours.bytes[i] ?? 0, theirs.bytes[i] ?? 0, `${path.basename(file)}: bytes in interval ${i}`);
  }
}

async function fileStats(file: string) {
  const m = await FilePacketListModel.open(file);
  try {
    return { stats: await m.statistics(), graph: (await m.ioGraph())!, model: m };
  } catch (e) {
    m.dispose();
    throw e;
  }
}

describe('capture statistics: conversations and I/O graph', function () {
  this.timeout(60_000);

  it('the I/O graph keeps at most its bin budget: the interval doubles and bins merge, totals unchanged', () => {
    const b = new IoBinner(['all']);
    let packets = 0;
    let bytes = 0;
    // one packet every 7 ms for an hour, lengths varied: 514,286 packets
    for (let t = 0; t < 3600e6; t += 7000) {
      const len = 60 + ((t / 7000) % 1400);
      b.add(0, 1_000_000 + t, len);
      packets++;
      bytes += len;
    }
    const g = b.result(1_000_000);
    assert.ok(g.series[0].packets.length <= MAX_IO_GRAPH_BINS, `${g.series[0].packets.length} bins`);
    assert.equal(g.intervalMs, 4096, 'an hour in ≤ 1000 bins: 1 ms doubled 12 times');
    assert.equal(g.series[0].packets.reduce((x, y) => x + y, 0), packets);
    assert.equal(g.series[0].bytes.reduce((x, y) => x + y, 0), bytes);
    assert.equal(g.start, 0);
    assert.ok(isIoGraph(g), 'a full graph passes the validator');
    assert.equal(isIoGraph({ ...g, series: [{ ...g.series[0], packets: [...g.series[0].packets, 1] }] }), false, 'more bins than bytes');
    assert.equal(isIoGraph({ ...g, series: [{ label: 'all', packets: [-1], bytes: [0] }] }), false, 'a negative count');
  });

  it('a packet stamped earlier than one before it counts in the latest interval, as tshark counts it (loaded CPUs stamp loopback out of order)', async function () {
    if (!hasTshark) this.skip();
    const src = readCaptureFile(fs.readFileSync(fixtures[0])).packets;
    const w = new PcapWriter({ linkType: src[0].linkType });
    const base = 1_700_000_000_000_000;
    // 9.7 ms after 10.4 ms, and 48 ms after 50.001 ms: both go to the interval of the packet before them
    const times = [0, 10_400, 9_700, 49_999, 50_000, 50_001, 48_000, 51_000, 51_500];
    const records = times.map((t, i) => ({ ...src[i % src.length], tsMicros: base + t }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-stats-order-'));
    const live = new PacketListModel(arraySource(records));
    try {
      const file = path.join(dir, 'order.pcap');
      fs.writeFileSync(file, Buffer.concat([w.header(), ...records.map((r) => w.packet(r))]));
      const graph = (await live.ioGraph())!;
      assert.equal(graph.intervalMs, 1);
      assert.equal(graph.series[0].packets[10], 2, 'the 9.7 ms packet counts with the 10.4 ms one');
      assert.equal(graph.series[0].packets[50], 3, 'the 48 ms packet counts with the 50 ms ones');
      assertIoAgrees(file, graph);
    } finally {
      live.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the table is read by page: the host sorts and searches every conversation and sends at most a page', () => {
    const stats = new CaptureStatistics();
    const flows: Flow[] = [];
    for (let i = 0; i < 2500; i++) {
      const src = `10.0.${i >> 8}.${i & 255}:${40000 + i}`;
      const dst = i % 10 === 0 ? '192.168.1.1:443' : '192.168.1.2:5001';
      flows.push({ proto: i % 3 ? 'tcp' : 'udp', key: `k${i}`, stream: i, src, dst });
    }
    flows.forEach((f, i) => stats.add(i, 1_000_000 + i * 10, 60 + (i % 1000), f));
    const page = stats.page({ offset: 0, count: 100, sort: 'bytes', descending: true, search: '' });
    assert.ok(isConversationPage(page), 'a page passes the panel validator');
    assert.equal(page.total, 2500);
    assert.equal(page.matched, 2500);
    assert.equal(page.rows.length, 100);
    const bytes = (c: ConversationStat) => c.aToB.bytes + c.bToA.bytes;
    assert.deepEqual(page.rows.map(bytes), [...page.rows.map(bytes)].sort((x, y) => y - x), 'largest first');
    assert.equal(bytes(page.rows[0]), 1059);
    // the last page, and a page asked past the end
    const last = stats.page({ offset: 2400, count: 100, sort: 'start', descending: false, search: '' });
    assert.deepEqual(last.rows.map((c) => c.stream), Array.from({ length: 100 }, (_, k) => 2400 + k));
    assert.equal(stats.page({ offset: 9999, count: 100, sort: 'start', descending: false, search: '' }).rows.length, 1);
    // more than a page is never sent
    assert.equal(stats.page({ offset: 0, count: 100_000, sort: 'a', descending: false, search: '' }).rows.length, MAX_CONVERSATION_PAGE);
    // search: every word in an endpoint (address or port)
    const https = stats.page({ offset: 0, count: 200, sort: 'start', descending: false, search: ':443' });
    assert.equal(https.matched, 250);
    assert.ok(https.rows.every((c) => c.b === '192.168.1.1:443'));
    const one = stats.page({ offset: 0, count: 200, sort: 'start', descending: false, search: '10.0.3.6: UDP' });
    assert.deepEqual(one.rows.map((c) => c.a), ['10.0.3.6:40774'], 'words in any order and case');
    assert.equal(stats.page({ offset: 0, count: 10, sort: 'start', descending: false, search: 'nowhere' }).matched, 0);
    // what the page may ask: a page at most, a known column, Wireshark's intervals only
    const q = { type: 'conversationPage', offset: 0, count: 100, sort: 'bytes', descending: true, search: ':443' };
    assert.ok(isPacketPanelRequest(q));
    assert.equal(isPacketPanelRequest({ ...q, count: MAX_CONVERSATION_PAGE + 1 }), false);
    assert.equal(isPacketPanelRequest({ ...q, sort: 'colour' }), false);
    assert.ok(isPacketPanelRequest({ type: 'ioGraph', intervalMs: 10 }));
    assert.equal(isPacketPanelRequest({ type: 'ioGraph', intervalMs: 3 }), false);
  });

  it('the I/O graph at a fixed interval: only intervals the capture fits in are offered; a finer one falls back to auto', () => {
    const stats = new CaptureStatistics();
    // one packet every 7 ms for an hour
    for (let t = 0, i = 0; t < 3600e6; t += 7000, i++) stats.add(i, 1_000_000 + t, 100, undefined);
    const auto = stats.graph();
    assert.deepEqual(auto.intervals, [5000, 10000], 'an hour fits in 1000 bins of 5 s or more');
    const tenS = stats.graph(10000);
    assert.equal(tenS.intervalMs, 10000);
    assert.equal(tenS.series[0].packets.length, 360);
    assert.equal(tenS.series[0].packets.reduce((x, y) => x + y, 0), auto.series[0].packets.reduce((x, y) => x + y, 0));
    assert.equal(stats.graph(1).intervalMs, auto.intervalMs, 'too fine: the auto graph');
    assert.ok(isIoGraph(tenS));
  });

  describe('agrees with tshark', function () {
    before(function () {
      if (!hasTshark) this.skip(); // tshark is the oracle; without it there is nothing to compare against
    });

    it('on the decode fixtures (lo IPv4/IPv6, any SLL/SLL2, dumpcap pcapng): every conversation, and the I/O graph at our interval', async () => {
      let compared = 0;
      for (const file of fixtures) {
        const { stats, graph, model } = await fileStats(file);
        try {
          compared += assertAgrees(file, stats.conversations);
          assertIoAgrees(file, graph);
          // what crosses to the webview passes its validators (a graph of many bins once failed them)
          assert.ok(isCaptureStatistics(stats), `${path.basename(file)}: statistics pass the panel's validator`);
          assert.ok(isIoGraph(graph), `${path.basename(file)}: the graph passes the panel's validator`);
          assert.equal(stats.omitted, 0);
        } finally {
          model.dispose();
        }
      }
      assert.ok(compared >= 6, `${compared} conversations compared`);
    });

    it('at a fixed interval (10 ms, 100 ms, 1 s) on the fixtures, as tshark -z io,stat,INTERVAL counts', async () => {
      for (const file of fixtures) {
        const { graph, model } = await fileStats(file);
        try {
          for (const ms of [10, 100, 1000]) {
            assert.ok(graph.intervals?.includes(ms), `${path.basename(file)} fits ${ms} ms`);
            const g = (await model.ioGraph(undefined, undefined, ms))!;
            assert.equal(g.intervalMs, ms);
            assertIoAgrees(file, g);
          }
        } finally {
          model.dispose();
        }
      }
    });

    it('marks TCP analysis events: packets with tcp.analysis.flags per interval, as tshark counts them', async () => {
      const src = readCaptureFile(fs.readFileSync(fixtures[0])).packets;
      // a data segment sent again 3 ms and 7 ms later: two retransmissions
      const ctx = new DissectContext();
      const data = src.findIndex((r, i) => (dissect(r, ctx, i + 1).tcp?.len ?? 0) > 0);
      assert.ok(data >= 0);
      const again = (ms: number) => ({ ...src[data], tsMicros: src[data].tsMicros + ms * 1000 });
      const records = [...src.slice(0, data + 1), again(3), again(7), ...src.slice(data + 1)].sort((x, y) => x.tsMicros - y.tsMicros);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-stats-events-'));
      try {
        const file = path.join(dir, 'retrans.pcap');
        const w = new PcapWriter({ linkType: src[0].linkType });
        fs.writeFileSync(file, Buffer.concat([w.header(), ...records.map((r) => w.packet(r))]));
        const theirs = tsharkCount(file, 0.001, 'tcp.analysis.flags');
        assert.ok(theirs.reduce((x, y) => x + y, 0) >= 2, 'tshark flags the retransmissions');
        const { graph, model } = await fileStats(file);
        const live = new PacketListModel(arraySource(records));
        try {
          for (const g of [(await model.ioGraph(undefined, undefined, 1))!, (await live.ioGraph(undefined, 1))!, graph]) {
            assert.equal(g.intervalMs, 1);
            const ours = g.series[0].events ?? [];
            for (let i = 0; i < Math.max(ours.length, theirs.length); i++) assert.equal(ours[i] ?? 0, theirs[i] ?? 0, `events in interval ${i}`);
          }
          // one conversation's graph: the events on its two lines add up to the same
          const c = (await model.statistics()).conversations.find((x) => x.proto === 'tcp')!;
          const per = (await model.ioGraph(c.key, undefined, 1))!;
          const sum = (xs: readonly number[] | undefined) => (xs ?? []).reduce((x, y) => x + y, 0);
          assert.equal(sum(per.series[0].events) + sum(per.series[1].events), sum(theirs));
          assert.deepEqual((await live.ioGraph(c.key, 1))!.series.map((s) => sum(s.events)), per.series.map((s) => sum(s.events)));
        } finally {
          model.dispose();
          live.dispose();
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('on a capture real programs make on lo: TCP transfers over 100 kB both ways, UDP exchanges; live and file models agree', async function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-stats-'));
      try {
        const server = await pythonPeer([
          'import socket, threading',
          't = socket.socket(); t.bind(("127.0.0.1", 0)); t.listen()',
          'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", t.getsockname()[1]))',
          'def udp():',
          '    while True:',
          '        d, a = u.recvfrom(2048); u.sendto(d * 2, a)',
          'threading.Thread(target=udp, daemon=True).start()',
          'print(t.getsockname()[1], flush=True)',
          'while True:',
          '    c, _ = t.accept()',
          '    n = 0',
          '    while (d := c.recv(65536)):',
          '        n += len(d)',
          '    c.sendall(b"r" * (n // 2)); c.close()',
        ]);
        const cap = await LoopbackCapture.start(path.join(dir, 'stats.pcapng'), `port ${server.port}`);
        if (typeof cap === 'string') {
          server.proc.kill();
          console.warn(`      skipped: ${cap}`);
          return this.skip();
        }
        const client = spawnSync('python3', ['-c', [
          'import socket, sys, time',
          'port = int(sys.argv[1])',
          'for size in (150000, 3000, 0):',
          '    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"x" * size); s.shutdown(socket.SHUT_WR)',
          '    while s.recv(65536): pass',
          '    s.close(); time.sleep(0.05)',
          'for i in range(3):',
          '    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(2)',
          '    for k in range(i + 1):',
          '        u.sendto(b"d" * (100 * (k + 1)), ("127.0.0.1", port)); u.recvfrom(4096)',
          '    u.close()',
        ].join('\n'), String(server.port)], { encoding: 'utf8', timeout: 20_000 });
        server.proc.kill();
        assert.equal(client.status, 0, client.stderr);
        await cap.stop();
        const { stats, graph, model } = await fileStats(cap.file);
        try {
          const compared = assertAgrees(cap.file, stats.conversations);
          assert.equal(compared, 6, 'three TCP connections and three UDP conversations');
          assertIoAgrees(cap.file, graph);
          const big = stats.conversations.find((c) => c.proto === 'tcp' && c.aToB.bytes > 150_000);
          assert.ok(big, 'the 150 kB upload is one row');
          // live model over the same packets: the same table and graph
          const live = new PacketListModel(arraySource(readCaptureFile(fs.readFileSync(cap.file)).packets));
          try {
            assert.deepEqual(live.statistics(), stats);
            assert.deepEqual(await live.ioGraph(), graph);
            // one conversation's graph, each way: the two series add up to its packets and bytes, in both models
            const perConv = (await model.ioGraph(big.key))!;
            assert.deepEqual(await live.ioGraph(big.key), perConv);
            assert.deepEqual(perConv.series.map((s) => s.label), ['aToB', 'bToA']);
            const sum = (xs: readonly number[]) => xs.reduce((x, y) => x + y, 0);
            assert.equal(sum(perConv.series[0].packets), big.aToB.packets);
            assert.equal(sum(perConv.series[1].bytes), big.bToA.bytes);
            assert.ok(Math.abs(perConv.start - big.start) < 1e-6, 'its graph starts with the conversation');
            assert.equal(await model.ioGraph('no such conversation'), undefined);
          } finally {
            live.dispose();
          }
        } finally {
          model.dispose();
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('on a nanosecond capture (tcpdump --nano): the relative start to the ns, as tshark prints it', async function () {
      if (spawnSync('tcpdump', ['--version']).status !== 0) return this.skip();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-stats-ns-'));
      const port = 44000 + Math.floor(Math.random() * 2000);
      const file = path.join(dir, 'ns.pcap');
      try {
        const dump = spawn('tcpdump', ['-i', 'lo', '-n', '-U', '--immediate-mode', '--time-stamp-precision=nano', '-w', file, `udp port ${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
        let said = '';
        await new Promise<void>((resolve, reject) => {
          dump.stderr.on('data', (d: Buffer) => {
            said += d.toString();
            if (said.includes('listening on')) resolve();
          });
          dump.on('exit', () => reject(new Error(`tcpdump stopped: ${said}`)));
        });
        // five conversations (one source port each) a few ms apart: their starts fall anywhere within a µs
        const client = spawnSync('python3', ['-c', [
          'import socket, sys, time',
          'for i in range(5):',
          '    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.sendto(b"n" * 10, ("127.0.0.1", int(sys.argv[1]))); u.close(); time.sleep(0.003)',
        ].join('\n'), String(port)], { encoding: 'utf8', timeout: 20_000 });
        assert.equal(client.status, 0, client.stderr);
        await new Promise((r) => setTimeout(r, 300));
        const stopped = new Promise((r) => dump.once('exit', r));
        dump.kill('SIGINT');
        await stopped;
        const { stats, model } = await fileStats(file);
        try {
          assert.equal(assertAgrees(file, stats.conversations), 5, 'five UDP conversations');
          assert.ok(stats.conversations.some((c) => !c.start.toFixed(9).endsWith('000')), 'the starts have nanoseconds');
        } finally {
          model.dispose();
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
