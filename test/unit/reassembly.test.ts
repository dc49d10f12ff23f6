// Reassembly, as Wireshark with its defaults: IPv4/IPv6 defragmentation (the completing fragment carries the datagram
// to UDP/DNS) and TCP reassembly of HTTP messages and DNS-over-TCP messages; both switchable; bounded; and a row click
// (the replay log) shows what the first pass showed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runDecodeCommand } from '../../src/core/cli/decodeCommand';
import { writeCaptureFile } from '../../src/core/pcap/pcapWriter';
import { DissectContext, type DissectedPacket, allFields, dissect } from '../../src/core/decode/dissect';
import { ReplayLog } from '../../src/core/decode/replayLog';
import { FRAGMENT_TIMEOUT_MICROS, MAX_PENDING_DATAGRAMS } from '../../src/core/decode/ipDefragment';
import type { PacketRecord } from '../../src/shared/packet';
import { ascii, cat, dnsName, eth, ipv4, ipv6, record, tcp, TCP, u16, u32, udp } from './decodeFrames';

const values = (p: DissectedPacket, id: string) => [...allFields(p)].filter((f) => f.id === id).map((f) => f.value);
const value = (p: DissectedPacket, id: string) => values(p, id)[0];
const protocols = (p: DissectedPacket) => String(value(p, 'frame.protocols'));

/** Dissects records in order with one context; the packets, and a replay log of them. */
function pass(recs: PacketRecord[], ctx = new DissectContext()): { pkts: DissectedPacket[]; log: ReplayLog } {
  const log = new ReplayLog();
  const pkts = recs.map((r, i) => {
    const p = dissect(r, ctx, i + 1);
    log.record(i, p);
    return p;
  });
  return { pkts, log };
}

/** Each packet dissected again alone from the log shows the same tree and columns as its first pass. */
function assertReplaySame(recs: PacketRecord[], pkts: DissectedPacket[], log: ReplayLog): void {
  recs.forEach((r, i) => {
    const again = log.dissect(r, i, i + 1);
    assert.ok(again, `packet ${i + 1} replayed`);
    assert.deepEqual(JSON.parse(JSON.stringify(again.layers)), JSON.parse(JSON.stringify(pkts[i].layers)), `packet ${i + 1}: the same tree`);
    assert.deepEqual(again.protocols, pkts[i].protocols);
  });
}

/** A DNS response with a TXT record of `n` bytes (in strings of ≤ 255), as a UDP payload. */
function bigDns(n: number): Uint8Array {
  const strings: number[] = [];
  for (let left = n; left > 0; left -= 200) strings.push(Math.min(200, left), ...new Array<number>(Math.min(200, left)).fill(0x41));
  return cat(u16(0x1003), u16(0x8180), u16(1), u16(1), u16(0), u16(0), dnsName('big.example.test'), u16(16), u16(1), [0xc0, 12], u16(16), u16(1), u32(60), u16(strings.length), strings);
}

/** A datagram's IPv4 fragments (payload cut at `size`, a multiple of 8). */
function fragments4(dgram: Uint8Array, size: number, o: { id?: number; src?: string } = {}): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < dgram.length; off += size) out.push(eth(ipv4(dgram.subarray(off, off + size), { proto: 17, df: false, mf: off + size < dgram.length, fragOffset: off, id: o.id ?? 0x10b4, src: o.src })));
  return out;
}

function fragments6(dgram: Uint8Array, size: number, ident = 0x684bf79d): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < dgram.length; off += size) {
    const more = off + size < dgram.length ? 1 : 0;
    const fh = [17, 0, ...u16(off | more), ...u32(ident)];
    out.push(eth(ipv6(cat(fh, dgram.subarray(off, off + size)), { nxt: 44 }), 0x86dd));
  }
  return out;
}

describe('reassembly: IP defragmentation', () => {
  const dns = udp(bigDns(2400), { sport: 53, dport: 37540 });

  it('IPv4: the last fragment carries the datagram to UDP/DNS with Wireshark\'s fields; the others say where', () => {
    const recs = fragments4(dns, 1280).map((b) => record(b));
    const { pkts, log } = pass(recs);
    assert.equal(pkts.length, 2);
    assert.equal(protocols(pkts[0]), 'eth:ethertype:ip:data');
    assert.equal(pkts[0].summary.info, 'Fragmented IP protocol (proto=UDP 17, off=0, ID=10b4)'); // the list row: the first pass cannot know #2 yet
    assert.equal(value(pkts[0], 'ip.reassembled_in'), 2); // the tree, read after the pass, can
    assert.equal(protocols(pkts[1]), 'eth:ethertype:ip:udp:dns');
    assert.equal(pkts[1].summary.protocol, 'DNS');
    assert.match(pkts[1].summary.info, /^Standard query response 0x1003 TXT big\.example\.test TXT/);
    assert.deepEqual(values(pkts[1], 'ip.fragment'), [1, 2]);
    assert.deepEqual([value(pkts[1], 'ip.fragment.count'), value(pkts[1], 'ip.reassembled.length'), value(pkts[1], 'udp.length')], [2, dns.length, dns.length]);
    assert.equal(value(pkts[1], 'dns.count.answers'), 1);
    // Every field stays inside the frame's captured bytes.
    for (const [i, p] of pkts.entries()) for (const f of allFields(p)) assert.ok(f.offset >= 0 && f.offset + f.length <= recs[i].data.length, `${f.id} in range`);
    assertReplaySame(recs, pkts, log);
    const again = log.dissect(recs[0], 0, 1);
    assert.equal(again?.summary.info, 'Fragmented IP protocol (proto=UDP 17, off=0, ID=10b4) [Reassembled in #2]');
  });

  it('IPv6: the fragment header\'s datagram is reassembled (ipv6.fragment, ipv6.reassembled.in)', () => {
    const recs = fragments6(dns, 1248).map((b) => record(b));
    const { pkts, log } = pass(recs);
    assert.equal(protocols(pkts[0]), 'eth:ethertype:ipv6:ipv6.fraghdr:data');
    assert.equal(pkts[0].summary.info, 'IPv6 fragment (off=0 more=y ident=0x684bf79d nxt=17)');
    assert.equal(value(pkts[0], 'ipv6.reassembled.in'), 2);
    assert.equal(protocols(pkts[1]), 'eth:ethertype:ipv6:ipv6.fraghdr:udp:dns');
    assert.deepEqual(values(pkts[1], 'ipv6.fragment'), [1, 2]);
    assert.equal(value(pkts[1], 'ipv6.reassembled.length'), dns.length);
    assertReplaySame(recs, pkts, log);
  });

  it('out of order, interleaved datagrams, overlapping copies (the first at an offset wins)', () => {
    const a = fragments4(udp(ascii('A'.repeat(3000)), { dport: 9 }), 1280, { id: 1 });
    const b = fragments4(udp(ascii('B'.repeat(2000)), { dport: 9 }), 1024, { id: 2 });
    // Another copy of the start of a's middle fragment with other bytes, arriving before it: at one offset the first
    // copy's bytes win (Wireshark's reassemble.c), the later fragment adds only what lies past them.
    const overlap = eth(ipv4(ascii('Z'.repeat(640)), { proto: 17, df: false, mf: true, fragOffset: 1280, id: 1 }));
    const order = [a[2], b[0], a[0], overlap, b[1], a[1]];
    const recs = order.map((x) => record(x));
    const { pkts, log } = pass(recs);
    assert.equal(protocols(pkts[4]), 'eth:ethertype:ip:udp:data'); // b completes with its second fragment
    assert.deepEqual(values(pkts[4], 'ip.fragment'), [2, 5]);
    assert.equal(protocols(pkts[5]), 'eth:ethertype:ip:udp:data'); // a completes with its middle fragment
    assert.deepEqual(values(pkts[5], 'ip.fragment'), [3, 4, 6, 1]);
    const body = String(value(pkts[5], 'data.data'));
    assert.equal(body.slice(2 * (1280 - 8), 2 * (1280 - 8 + 641)), '5a'.repeat(640) + '41');
    assert.equal(value(pkts[5], 'udp.length'), 3008);
    assertReplaySame(recs, pkts, log);
  });

  it('quoted in an ICMP error a first fragment is decoded, not reassembled; fragments of a truncated capture are left as they are', () => {
    const frag = fragments4(udp(ascii('F'.repeat(3000)), { dport: 9 }), 1280)[0].subarray(14);
    const icmp = dissect(record(eth(ipv4(cat([3, 3, 0, 0], u32(0), frag.subarray(0, 548)), { proto: 1 }))));
    assert.equal(protocols(icmp), 'eth:ethertype:ip:icmp:ip:udp:data');
    const cut = fragments4(udp(ascii('F'.repeat(3000)), { dport: 9 }), 1280)[0];
    const p = dissect(record(cut.subarray(0, 64), undefined, undefined, cut.length));
    assert.deepEqual(p.protocols.slice(0, 4), ['frame', 'eth', 'ip', 'udp']); // IPv4 decodes a first fragment as far as it goes
  });

  it('bounded: a datagram older than the timeout (capture time) and beyond the pending cap is given up', () => {
    const [first, last] = fragments4(udp(ascii('T'.repeat(2000)), { dport: 9 }), 1280);
    const late = dissect(record(last, undefined, 1_700_000_000_000_000 + FRAGMENT_TIMEOUT_MICROS + 1), (() => {
      const ctx = new DissectContext();
      dissect(record(first, undefined, 1_700_000_000_000_000), ctx);
      return ctx;
    })());
    assert.equal(protocols(late), 'eth:ethertype:ip:data');
    const ctx = new DissectContext();
    dissect(record(first), ctx);
    for (let id = 100; id < 100 + MAX_PENDING_DATAGRAMS; id++) dissect(record(fragments4(udp(ascii('x'.repeat(2000))), 1280, { id })[0]), ctx);
    assert.equal(protocols(dissect(record(last), ctx)), 'eth:ethertype:ip:data'); // its first fragment was the oldest: dropped
  });

  it('switchable: defragment off leaves each fragment alone (the first decoded as far as it goes)', () => {
    const recs = fragments4(dns, 1280).map((b) => record(b));
    const { pkts } = pass(recs, new DissectContext({ defragment: false }));
    assert.equal(protocols(pkts[0]), 'eth:ethertype:ip:udp:dns');
    assert.equal(protocols(pkts[1]), 'eth:ethertype:ip:data');
    assert.deepEqual(values(pkts[1], 'ip.fragment'), []);
  });
});

describe('reassembly: TCP (HTTP, DNS over TCP)', () => {
  const seg = (payload: Uint8Array | string, seq: number, o: { sport?: number; dport?: number; ack?: number } = {}) =>
    record(eth(ipv4(tcp(typeof payload === 'string' ? ascii(payload) : payload, { sport: o.sport ?? 8080, dport: o.dport ?? 51234, seq, ack: o.ack ?? 1, flags: TCP.PSH | TCP.ACK }))));
  /** A connection's handshake, so sequence numbers are relative to 0. */
  const handshake = (sport = 51234, dport = 8080) => [
    record(eth(ipv4(tcp(new Uint8Array(0), { sport, dport, seq: 0, flags: TCP.SYN })))),
    record(eth(ipv4(tcp(new Uint8Array(0), { sport: dport, dport: sport, seq: 0, ack: 1, flags: TCP.SYN | TCP.ACK })))),
  ];

  it('an HTTP response spread over segments is one http PDU on its last segment, with its body', () => {
    const body = 'line of the page\n'.repeat(200);
    const head = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n`;
    const msg = head + body;
    const parts = [msg.slice(0, 20), msg.slice(20, head.length + 100), msg.slice(head.length + 100, 2000), msg.slice(2000)];
    let seq = 1;
    const recs = [...handshake(), ...parts.map((p) => {
      const r = seg(p, seq);
      seq += p.length;
      return r;
    })];
    const { pkts, log } = pass(recs);
    for (const i of [2, 3, 4]) {
      assert.equal(protocols(pkts[i]), 'eth:ethertype:ip:tcp');
      assert.match(pkts[i].summary.info, /Len=\d+ \[TCP segment of a reassembled PDU\]$/);
      assert.equal(value(pkts[i], 'tcp.reassembled_in'), 6);
    }
    const last = pkts[5];
    assert.equal(protocols(last), 'eth:ethertype:ip:tcp:http:data-text-lines');
    assert.equal(last.summary.info, 'HTTP/1.1 200 OK  (text/plain)');
    assert.deepEqual(values(last, 'tcp.segment'), [3, 4, 5, 6]);
    assert.deepEqual([value(last, 'tcp.segment.count'), value(last, 'tcp.reassembled.length'), value(last, 'http.content_length')], [4, msg.length, body.length]);
    assert.equal(value(last, 'http.file_data'), body);
    assertReplaySame(recs, pkts, log);
  });

  it('a chunked response is reassembled up to its last chunk; a request after a response in one segment starts a new PDU', () => {
    const chunks = '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
    const msg = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n${chunks}`;
    const cut = msg.length - 10;
    const recs = [...handshake(), seg(msg.slice(0, cut), 1), seg(msg.slice(cut), 1 + cut)];
    const { pkts, log } = pass(recs);
    assert.match(pkts[2].summary.info, /\[TCP segment of a reassembled PDU\]$/);
    assert.equal(pkts[3].summary.protocol, 'HTTP');
    assert.deepEqual(values(pkts[3], 'tcp.segment'), [3, 4]);
    assertReplaySame(recs, pkts, log);
  });

  it('a segment that ends one PDU and starts the next shows the first and holds the rest', () => {
    const body = 'x'.repeat(50);
    const one = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const two = `HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\n0123456789`;
    const recs = [...handshake(), seg(one.slice(0, 30), 1), seg(one.slice(30) + two.slice(0, 25), 31), seg(two.slice(25), 31 + one.length - 30 + 25)];
    const { pkts, log } = pass(recs);
    assert.equal(pkts[3].summary.info, 'HTTP/1.1 200 OK');
    assert.equal(value(pkts[3], 'tcp.reassembled_in'), 5);
    assert.equal(pkts[4].summary.info, 'HTTP/1.1 404 Not Found');
    assert.deepEqual(values(pkts[4], 'tcp.segment'), [4, 5]);
    assertReplaySame(recs, pkts, log);
  });

  it('DNS over TCP: the 2-byte length and the message across segments', () => {
    const q = cat(u16(0x3000), u16(0x0100), u16(1), u16(0), u16(0), u16(0), dnsName('tcp.example.test'), u16(1), u16(1));
    const msg = cat(u16(q.length), q);
    const recs = [...handshake(40000, 53), seg(msg.subarray(0, 1), 1, { sport: 40000, dport: 53 }), seg(msg.subarray(1, 10), 2, { sport: 40000, dport: 53 }), seg(msg.subarray(10), 11, { sport: 40000, dport: 53 })];
    const { pkts, log } = pass(recs);
    assert.equal(protocols(pkts[2]), 'eth:ethertype:ip:tcp');
    assert.equal(protocols(pkts[4]), 'eth:ethertype:ip:tcp:dns');
    assert.equal(value(pkts[4], 'dns.qry.name'), 'tcp.example.test');
    assert.equal(value(pkts[4], 'dns.length'), q.length);
    assert.deepEqual(values(pkts[4], 'tcp.segment'), [3, 4, 5]);
    assertReplaySame(recs, pkts, log);
  });

  it('a retransmission is dissected as it is; after a gap the PDU waits, past it the PDU is given up', () => {
    const head = 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n';
    const after = 1 + head.length + 100;
    const recs = [...handshake(), seg(head, 1), seg(head, 1), seg('y'.repeat(40), 1 + head.length + 30), seg('HTTP/1.1 204 No Content\r\n\r\n', after)];
    const { pkts } = pass(recs);
    // tshark 4.0.17 -2 on these frames (reassembly and analysis on, as by default).
    assert.equal(pkts[2].summary.info, '8080 → 51234 [PSH, ACK] Seq=1 Ack=1 Win=65495 Len=40 [TCP segment of a reassembled PDU]');
    assert.equal(value(pkts[2], 'tcp.reassembled_in'), undefined);
    assert.equal(pkts[3].summary.info, '[TCP Retransmission] 8080 → 51234 [PSH, ACK] Seq=1 Ack=1 Win=65495 Len=40');
    assert.equal(pkts[4].summary.info, '[TCP Previous segment not captured] 8080 → 51234 [PSH, ACK] Seq=71 Ack=1 Win=65495 Len=40 [TCP segment of a reassembled PDU]');
    assert.equal(protocols(pkts[4]), 'eth:ethertype:ip:tcp');
    assert.equal(pkts[5].summary.info, '[TCP Previous segment not captured] HTTP/1.1 204 No Content');
  });

  it('switchable: desegmentation off dissects each segment alone', () => {
    const msg = 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789';
    const recs = [...handshake(), seg(msg.slice(0, 20), 1), seg(msg.slice(20), 21)];
    const { pkts } = pass(recs, new DissectContext({ desegmentTcp: false }));
    assert.equal(pkts[2].summary.info, 'HTTP/1.1 200 OK');
    assert.equal(pkts[3].summary.info, 'Continuation');
  });
});

describe('reassembly: socket-lab decode --no-reassemble', () => {
  it('reassembles by default, as Wireshark; --no-reassemble shows each packet alone', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reassembly-cli-'));
    try {
      const file = path.join(dir, 'frags.pcap');
      fs.writeFileSync(file, writeCaptureFile(fragments4(udp(bigDns(2400), { sport: 53, dport: 37540 }), 1280).map((b) => record(b)), 'pcap'));
      const rows = async (argv: string[]) => {
        let out = '';
        const code = await runDecodeCommand(argv, { out: (t) => void (out += t), err: () => undefined });
        assert.equal(code, 0);
        return out.trimEnd().split('\n');
      };
      const on = await rows([file]);
      assert.match(on[0], /IPv4\s+1314 Fragmented IP protocol \(proto=UDP 17, off=0, ID=10b4\)$/);
      assert.match(on[1], /DNS\s+\d+ Standard query response 0x1003 TXT big\.example\.test TXT$/);
      const off = await rows([file, '--no-reassemble']);
      assert.match(off[0], /DNS\s+1314 Standard query response 0x1003/);
      assert.match(off[1], /IPv4\s+\d+ Fragmented IP protocol \(proto=UDP 17, off=1280, ID=10b4\)$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
