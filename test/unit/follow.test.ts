// Follow stream against tshark: real conversations captured on lo (dumpcap), and the same capture edited the way a
// lossy network would have delivered it (a retransmission, an overlap, reordering, a lost segment, sequence numbers
// wrapping). For every stream of every capture, `socket-lab follow … --print raw` must equal `tshark -z follow,…,raw`
// byte for byte; text and hex are compared on some, and the reassembled bytes are checked against what was sent.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LoopbackCapture } from '../../src/core/capture/loopbackCapture';
import { runFollowCommand } from '../../src/core/cli/followCommand';
import { type FollowChunk, TcpFollower } from '../../src/core/follow/streamFollower';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import { writeCaptureFile } from '../../src/core/pcap/pcapWriter';
import type { PacketRecord } from '../../src/shared/packet';
import { onPath } from './helpers';

async function follow(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runFollowCommand(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

function tsharkFollow(file: string, proto: 'tcp' | 'udp', mode: string, stream: number): string {
  return execFileSync('tshark', ['-q', '-r', file, '-z', `follow,${proto},${mode},${stream}`], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 << 20 });
}

/** The stream indexes tshark sees in a file, for one protocol. */
function tsharkStreams(file: string, proto: 'tcp' | 'udp'): number[] {
  const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', `${proto}.stream`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  const set = new Set<number>();
  for (const line of out.split('\n')) for (const v of line.split(',')) if (v.trim() !== '') set.add(Number(v));
  return [...set].sort((a, b) => a - b);
}

/** Compares every stream of `file` in raw mode (and the given extra modes); returns what was compared. */
async function compareAll(file: string, modes: readonly ('text' | 'hex')[] = []): Promise<{ streams: number; bytes: number }> {
  let streams = 0;
  let bytes = 0;
  for (const proto of ['tcp', 'udp'] as const) {
    const ids = tsharkStreams(file, proto);
    assert.deepEqual(ids, ids.map((_, i) => i), `${proto} streams are numbered 0…n-1`);
    for (const n of ids) {
      for (const mode of ['raw', ...modes] as const) {
        const ours = await follow([proto, file, '--stream', String(n), '--print', mode]);
        assert.equal(ours.code, 0, ours.err);
        const theirs = tsharkFollow(file, proto, mode === 'text' ? 'ascii' : mode, n);
        assert.equal(ours.out, theirs, `${path.basename(file)} ${proto} stream ${n} --print ${mode}`);
        if (mode === 'raw') bytes += ours.out.length;
      }
      streams++;
    }
    // One past the last stream is an error naming how many there are.
    const past = await follow([proto, file, '--stream', String(ids.length)]);
    assert.equal(past.code, 2);
    assert.match(past.err, ids.length === 0 ? new RegExp(`has no ${proto.toUpperCase()} stream`) : new RegExp(`has ${ids.length} ${proto.toUpperCase()} streams? `));
  }
  return { streams, bytes };
}

/** The --json chunks of one stream. */
async function chunks(file: string, proto: 'tcp' | 'udp', stream: number): Promise<{ node: number; frame: number; offset: number; length: number; bytes?: string; gap?: true }[]> {
  const r = await follow([proto, file, '--stream', String(stream), '--json']);
  assert.equal(r.code, 0, r.err);
  return r.out.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Concatenated payload per node, from --json (gaps as their length in `?` bytes). */
function joined(cs: Awaited<ReturnType<typeof chunks>>, node: number): Buffer {
  return Buffer.concat(cs.filter((c) => c.node === node).map((c) => (c.gap ? Buffer.alloc(c.length, '?') : Buffer.from(c.bytes as string, 'hex'))));
}

const PEERS = String.raw`
import socket, sys, threading
base = int(sys.argv[1])
def tcp_conv(port, fam, host, exchanges, big=0, mss=None):
    srv = socket.socket(fam); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if mss: srv.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
    srv.bind((host, port)); srv.listen()
    def serve():
        c, _ = srv.accept(); f = c.makefile('rb')
        for line in f:
            if line.startswith(b'BIG'):
                # small writes without Nagle: many segments, whatever GSO does to big ones on lo
                n = int(line[3:]); data = (bytes(range(256)) * (n // 256 + 1))[:n]
                c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                for i in range(0, n, 1000): c.sendall(data[i:i + 1000])
            else:
                c.sendall(b'echo:' + line)
        c.close()
    t = threading.Thread(target=serve); t.start()
    c = socket.socket(fam)
    if mss: c.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
    c.connect((host, port)); r = c.makefile('rb')
    for i in range(exchanges):
        c.sendall(b'line %d\r\n' % i); r.readline()
    if big:
        c.sendall(b'U' * big + b'\n'); r.readline()
        c.sendall(b'BIG%d\n' % big); r.read(big)
    c.shutdown(socket.SHUT_WR); r.read(); c.close(); t.join(); srv.close()
def udp_conv(port, n):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', port))
    v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    v.sendto(b'', ('127.0.0.1', port)); u.recvfrom(10)
    for i in range(n):
        v.sendto(b'ping %d \x00\xff' % i, ('127.0.0.1', port)); d, a = u.recvfrom(100); u.sendto(b'pong ' + d, a); v.recvfrom(100)
    v.sendto(b'nobody', ('127.0.0.1', port + 5))
    u.close(); v.close()
def udp_spaces(port):
    # hex rows ending in 0x20: tshark drops that last space unless the row has 8 bytes
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', port))
    v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for p in (b'abcdefg ', b'abcdefgh ', b'abcdefghijklmno ', b'abcdefghijklmn  ', b'abcdefghijklmnopq ', b' '):
        v.sendto(p, ('127.0.0.1', port)); d, a = u.recvfrom(100); u.sendto(d, a); v.recvfrom(100)
    u.close(); v.close()
tcp_conv(base, socket.AF_INET, '127.0.0.1', 4)
tcp_conv(base + 1, socket.AF_INET, '127.0.0.1', 3, big=300000, mss=1000)
udp_conv(base + 2, 5)
tcp_conv(base + 3, socket.AF_INET6, '::1', 2, big=20000)
udp_conv(base + 4, 2)
udp_spaces(base + 6)
`;

describe('socket-lab follow (against tshark)', function () {
  this.timeout(180_000);
  const why = process.platform !== 'linux' ? 'Linux only' : !onPath('dumpcap') || !onPath('tshark') || !onPath('python3') ? 'needs dumpcap, tshark and python3' : undefined;
  let dir: string;
  let live: string;
  let records: PacketRecord[];
  const base = 41000 + Math.floor(Math.random() * 2000) * 10;

  before(async function () {
    if (why) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'follow-test-'));
    const cap = await LoopbackCapture.start(path.join(dir, 'live.pcapng'), `portrange ${base}-${base + 9} or icmp or icmp6`);
    if (typeof cap === 'string') this.skip();
    fs.writeFileSync(path.join(dir, 'peers.py'), PEERS);
    const r = spawnSync('python3', [path.join(dir, 'peers.py'), String(base)], { encoding: 'utf8', timeout: 60_000 });
    await cap.stop();
    assert.equal(r.status, 0, r.stderr);
    live = cap.file;
    records = readCaptureFile(fs.readFileSync(live)).packets;
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a live capture: every TCP and UDP stream prints exactly what tshark prints (raw, text, hex)', async () => {
    const r = await compareAll(live, ['text', 'hex']);
    assert.ok(r.streams >= 5, `expected at least 3 TCP and 2 UDP streams, compared ${r.streams}`);
    console.log(`      compared ${r.streams} streams, ${r.bytes} bytes of raw output`);
  });

  it('reassembles what was sent: the big transfer both ways, the exchanges, node 0 is the client', async () => {
    const cs = await chunks(live, 'tcp', 1);
    const up = joined(cs, 0).toString('latin1');
    assert.equal(up, 'line 0\r\nline 1\r\nline 2\r\n' + 'U'.repeat(300000) + '\nBIG300000\n');
    const down = joined(cs, 1);
    assert.equal(down.length, 'echo:line 0\r\n'.length * 3 + 5 + 300001 + 300000);
    assert.deepEqual(down.subarray(down.length - 300000), (Buffer.concat(Array.from({ length: 1172 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i))))).subarray(0, 300000));
    assert.ok(cs.filter((c) => c.node === 1).length > 40, 'the 1000-byte writes made many chunks');
    assert.ok(cs.every((c, i) => i === 0 || c.frame > cs[i - 1].frame), 'chunks come in frame order on a lossless capture');
    const ipv6 = await follow(['tcp', live, '--stream', '2', '--print', 'raw']);
    assert.match(ipv6.out, /^Node 0: \[::1\]:\d+$/m);
  });

  /** Writes the edited capture and checks it against tshark; returns the TCP chunks of the big stream. */
  async function edited(name: string, edit: (recs: PacketRecord[]) => PacketRecord[]): Promise<Awaited<ReturnType<typeof chunks>>> {
    const file = path.join(dir, `${name}.pcap`);
    fs.writeFileSync(file, writeCaptureFile(edit(records.slice()), 'pcap'));
    await compareAll(file);
    return chunks(file, 'tcp', 1);
  }

  /** Indexes of the big stream's data segments from the server (port base+1), in capture order. */
  const serverData = (recs: readonly PacketRecord[]) => {
    const d = recs.flatMap((r, i) => (seg(r)?.sport === base + 1 && seg(r)!.len > 0 ? [i] : []));
    assert.ok(d.length >= 40, `the big transfer has ${d.length} server segments`);
    // d.at(-k): the edits happen in the big download, at the end of the stream
    return (k: number) => d[d.length - k];
  };

  it('a retransmitted and a reordered segment: dropped and put back in order, same bytes as the original', async () => {
    const original = joined(await chunks(live, 'tcp', 1), 1);
    const cs = await edited('retrans-reorder', (recs) => {
      const d = serverData(recs);
      const [a, b] = [d(30), d(29)];
      [recs[a], recs[b]] = [recs[b], recs[a]]; // out of order
      recs.splice(d(10) + 3, 0, recs[d(15)]); // a late duplicate
      return recs;
    });
    assert.deepEqual(joined(cs, 1), original);
    assert.ok(!cs.some((c) => c.gap));
  });

  it('an overlapping segment: only its new bytes are kept', async () => {
    const original = joined(await chunks(live, 'tcp', 1), 1);
    const cs = await edited('overlap', (recs) => {
      const d = serverData(recs);
      const a = seg(recs[d(20)])!;
      const b = seg(recs[d(19)])!;
      // One segment with A's second half and all of B, sent in place of B
      const half = a.len >> 1;
      recs[d(19)] = withPayload(recs[d(19)], (a.seq + half) >>> 0, Buffer.concat([a.payload.subarray(half), b.payload]));
      return recs;
    });
    assert.deepEqual(joined(cs, 1), original);
  });

  it('a lost segment the peer acknowledged: a gap of its length, then the rest', async () => {
    const original = joined(await chunks(live, 'tcp', 1), 1);
    let lost = 0;
    const cs = await edited('gap', (recs) => {
      const d = serverData(recs);
      lost = seg(recs[d(12)])!.len;
      recs.splice(d(12), 1);
      return recs;
    });
    const gaps = cs.filter((c) => c.gap);
    assert.equal(gaps.length, 1);
    assert.equal(gaps[0].length, lost);
    const got = joined(cs, 1);
    assert.equal(got.length, original.length);
    const at = gaps[0].offset;
    assert.deepEqual(got.subarray(0, at), original.subarray(0, at));
    assert.deepEqual(got.subarray(at + lost), original.subarray(at + lost));
  });

  it('sequence numbers that wrap past 2^32 in the middle of the transfer', async () => {
    const original = joined(await chunks(live, 'tcp', 1), 1);
    const cs = await edited('wrap', (recs) => {
      const syn = seg(recs.find((r) => seg(r)?.sport === base + 1 && seg(r)!.flags & 0x02)!)!;
      const delta = (2 ** 32 - syn.seqRaw - 150000) >>> 0; // the server's ISN moves to 150000 before the wrap
      return recs.map((r) => shiftSeq(r, base + 1, delta));
    });
    assert.deepEqual(joined(cs, 1), original);
  });
});

describe('socket-lab follow udp: datagrams in IP fragments (against tshark)', function () {
  this.timeout(60_000);
  let dir: string;

  before(function () {
    if (!onPath('tshark')) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'follow-frag-'));
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a 5000-byte datagram each way, IPv4 and IPv6: one whole chunk per datagram, in its own direction', async () => {
    for (const v6 of [false, true]) {
      const [a, b] = v6 ? ['fd00::1', 'fd00::2'] : ['10.9.0.1', '10.9.0.2'];
      const big = (fill: number) => Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7 + fill) & 0xff));
      const recs = [
        ...udpFrames(a, 40000, b, 9000, Buffer.from('hello'), 1),
        ...udpFrames(b, 9000, a, 40000, Buffer.from('HELLO'), 2),
        ...udpFrames(a, 40000, b, 9000, big(1), 3),
        ...udpFrames(b, 9000, a, 40000, big(2), 4),
      ];
      assert.ok(recs.length >= 8, 'the big datagrams went out in fragments');
      const file = path.join(dir, v6 ? 'frag6.pcap' : 'frag4.pcap');
      fs.writeFileSync(file, writeCaptureFile(recs, 'pcap'));
      await compareAll(file, ['hex']);
      const cs = await chunks(file, 'udp', 0);
      assert.deepEqual(cs.map((c) => [c.node, c.length]), [[0, 5], [1, 5], [0, 5000], [1, 5000]], v6 ? 'IPv6' : 'IPv4');
      assert.deepEqual(joined(cs, 0).subarray(5), big(1));
      assert.deepEqual(joined(cs, 1).subarray(5), big(2));
    }
  });
});

/** Ethernet frames carrying one UDP datagram, in IPv4 or IPv6 fragments of at most 1480 bytes when it is larger (checksums 0). */
function udpFrames(src: string, sport: number, dst: string, dport: number, payload: Buffer, id: number): PacketRecord[] {
  const v6 = src.includes(':');
  const udp = Buffer.concat([Buffer.alloc(8), payload]);
  udp.writeUInt16BE(sport, 0);
  udp.writeUInt16BE(dport, 2);
  udp.writeUInt16BE(udp.length, 4);
  const step = v6 ? 1448 : 1480;
  const frames: PacketRecord[] = [];
  const whole = udp.length <= step;
  for (let off = 0; off < udp.length; off += step) {
    const part = udp.subarray(off, off + step);
    const more = off + step < udp.length;
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
    let ip: Buffer;
    if (v6) {
      const frag = Buffer.alloc(whole ? 0 : 8);
      if (!whole) {
        frag[0] = 17;
        frag.writeUInt16BE(off | (more ? 1 : 0), 2);
        frag.writeUInt32BE(id, 4);
      }
      ip = Buffer.alloc(40);
      ip[0] = 0x60;
      ip.writeUInt16BE(frag.length + part.length, 4);
      ip[6] = whole ? 17 : 44;
      ip[7] = 64;
      ipv6Bytes(src).copy(ip, 8);
      ipv6Bytes(dst).copy(ip, 24);
      ip = Buffer.concat([ip, frag]);
    } else {
      ip = Buffer.alloc(20);
      ip[0] = 0x45;
      ip.writeUInt16BE(20 + part.length, 2);
      ip.writeUInt16BE(id, 4);
      ip.writeUInt16BE((more ? 0x2000 : 0) | (off / 8), 6);
      ip[8] = 64;
      ip[9] = 17;
      Buffer.from(src.split('.').map(Number)).copy(ip, 12);
      Buffer.from(dst.split('.').map(Number)).copy(ip, 16);
    }
    const data = new Uint8Array(Buffer.concat([eth, ip, part]));
    frames.push({ tsMicros: 1_700_000_000_000_000 + id * 1000 + off, origLen: data.length, linkType: 1, data });
  }
  return frames;
}

function ipv6Bytes(a: string): Buffer {
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

describe('TcpFollower (tshark rules, unit)', () => {
  const A = { address: '10.0.0.1', port: 1000 };
  const B = { address: '10.0.0.2', port: 80 };
  const run = (segs: [0 | 1, number, string, number?][], budget?: number) => {
    const out: FollowChunk[] = [];
    const f = new TcpFollower((c) => out.push(c), budget);
    let frame = 0;
    for (const [from, seq, text, ack] of segs) {
      const p = Buffer.from(text);
      f.push({ frame: ++frame, src: from ? B : A, dst: from ? A : B, seq, ack: ack ?? 0, syn: false, len: p.length, payload: p });
    }
    return out.map((c) => (c.kind === 'gap' ? `${c.node}:gap${c.length}` : `${c.node}:${Buffer.from(c.bytes).toString()}`));
  };

  it('orders, trims overlaps and marks an acknowledged hole, across the 2^32 wrap', () => {
    const s = 2 ** 32 - 3;
    assert.deepEqual(run([[0, s, 'abc'], [0, (s + 6) >>> 0, 'ghi'], [0, (s + 3) >>> 0, 'def'], [0, (s + 1) >>> 0, 'bcdefghijk']]), ['0:abc', '0:def', '0:ghi', '0:jk']);
    assert.deepEqual(run([[0, 1, 'ab'], [0, 5, 'ef'], [1, 1, 'x', 7]]), ['0:ab', '0:gap2', '0:ef', '1:x']);
    assert.deepEqual(run([[0, 1, 'ab'], [0, 5, 'ef'], [1, 1, 'x', 3]]), ['0:ab', '1:x'], 'not acknowledged: held back, as tshark does');
  });

  it('gives up waiting for a hole once the out-of-order bytes pass the budget', () => {
    assert.deepEqual(run([[0, 1, 'ab'], [0, 10, 'xxxx'], [0, 20, 'yyyy']], 6), ['0:ab', '0:gap7', '0:xxxx']);
  });
});

describe('socket-lab follow (usage)', () => {
  it('explains usage mistakes and unreadable files in one sentence with exit 2', async () => {
    for (const [argv, re] of [
      [['icmp', 'x.pcap', '--stream', '0'], /cannot follow "icmp": use tcp or udp/],
      [['tcp', 'x.pcap'], /say which stream with --stream N/],
      [['tcp', 'x.pcap', '--stream', '-1'], /--stream wants a whole number/],
      [['tcp', 'x.pcap', '--stream', '0', '--print', 'ebcdic'], /--print is text, hex or raw/],
      [['tcp', '/nonexistent/x.pcap', '--stream', '0'], /cannot read \/nonexistent\/x\.pcap: no such file/],
      [['tcp', __filename, '--stream', '0'], /follow\.test\.ts: .*pcap/i],
    ] as [string[], RegExp][]) {
      const r = await follow(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, re);
      assert.equal(r.err.trimEnd().split('\n').length, 1, r.err);
      assert.doesNotMatch(r.err, /\n\s+at /);
    }
    const help = await follow(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: socket-lab follow tcp\|udp/);
  });
});

// ---- Editing captured frames (Ethernet, IPv4 or IPv6, TCP) ----

interface Seg {
  ip: number;
  tcp: number;
  sport: number;
  dport: number;
  seqRaw: number;
  seq: number;
  flags: number;
  len: number;
  payload: Buffer;
}

function seg(r: PacketRecord): Seg | undefined {
  const d = Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength);
  if (r.linkType !== 1 || d.length < 14) return undefined;
  const type = d.readUInt16BE(12);
  const ip = 14;
  let tcp: number;
  let end: number;
  if (type === 0x0800 && d[ip + 9] === 6) {
    tcp = ip + (d[ip] & 15) * 4;
    end = ip + d.readUInt16BE(ip + 2);
  } else if (type === 0x86dd && d[ip + 6] === 6) {
    tcp = ip + 40;
    end = ip + 40 + d.readUInt16BE(ip + 4);
  } else return undefined;
  const start = tcp + (d[tcp + 12] >> 4) * 4;
  const seqRaw = d.readUInt32BE(tcp + 4);
  return { ip, tcp, sport: d.readUInt16BE(tcp), dport: d.readUInt16BE(tcp + 2), seqRaw, seq: seqRaw, flags: d[tcp + 13], len: end - start, payload: d.subarray(start, end) };
}

/** The frame with its TCP payload replaced and its raw sequence number set (lengths fixed; checksums are not checked). */
function withPayload(r: PacketRecord, seqRaw: number, payload: Buffer): PacketRecord {
  const s = seg(r)!;
  const head = Buffer.from(r.data.subarray(0, s.tcp + (r.data[s.tcp + 12] >> 4) * 4));
  head.writeUInt32BE(seqRaw, s.tcp + 4);
  const v4 = head.readUInt16BE(12) === 0x0800;
  if (v4) head.writeUInt16BE(head.length - 14 + payload.length, 16);
  else head.writeUInt16BE(head.length - 54 + payload.length, 18);
  const data = new Uint8Array(Buffer.concat([head, payload]));
  return { tsMicros: r.tsMicros, origLen: data.length, linkType: r.linkType, data };
}

/** Adds `delta` to the sequence numbers `port` sends and to the acknowledgements it receives. */
function shiftSeq(r: PacketRecord, port: number, delta: number): PacketRecord {
  const s = seg(r);
  if (!s || (s.sport !== port && s.dport !== port)) return r;
  const d = Buffer.from(r.data);
  if (s.sport === port) d.writeUInt32BE((d.readUInt32BE(s.tcp + 4) + delta) >>> 0, s.tcp + 4);
  else if (s.flags & 0x10) d.writeUInt32BE((d.readUInt32BE(s.tcp + 8) + delta) >>> 0, s.tcp + 8);
  return { ...r, data: new Uint8Array(d) };
}
