// The display filter answers common fields from a packet's eager facts instead of its field tree: these
// tests pin down that both ways give the same answer on real captures, edge-case frames and fuzzed frames.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type DissectedPacket, DissectContext, allFields, dissect } from '../../src/core/decode/dissect';
import { fieldRegistry, fieldsOutsideTheirLayer, protocolNames } from '../../src/core/decode/registry';
import { fastReaders } from '../../src/core/decode/fastValues';
import { type PacketPredicate, compileFilter, filterOptions } from '../../src/core/decode/displayFilter';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import { LinkType, type PacketRecord } from '../../src/shared/packet';
import { TCP, ascii, cat, eth, ipv4, ipv6, record, tcp, tcpOpt, u16, u32, udp } from './decodeFrames';
import { fuzzLinkTypes, mutate, seedFrames } from './decodeFuzzCore';
import { prng } from './helpers';
import { repoRoot } from './helpers';

/** Every filter kind: fields with facts, fields only the tree has, aliases, `!=`, ranges, CIDR, presence, text. */
const expressions = [
  'tcp.flags.syn == 1',
  'tcp.flags.syn == 1 && tcp.flags.ack == 0',
  'tcp.flags.fin == 1 || tcp.flags.reset == 1',
  'tcp.flags.push == true',
  'tcp.flags.res == 0',
  'tcp.flags.ae == 0 && tcp.flags.cwr == 0 && tcp.flags.ece == 0 && tcp.flags.urg == 0',
  'tcp.flags == 0x012',
  'tcp.flags.str == "·······AP···"',
  'tcp.port == 8000',
  'tcp.port == 18431',
  'tcp.port != 18431',
  'tcp.srcport == 51234 || tcp.dstport == 51234',
  'tcp.port >= 40000',
  'tcp.stream == 0',
  'tcp.stream > 0',
  'tcp.len > 0',
  'tcp.len == 0',
  'tcp.seq == 1',
  'tcp.seq_raw > 1000',
  'tcp.nxtseq > 1',
  'tcp.ack == 1',
  'tcp.ack_raw != 0',
  'tcp.window_size > 1000',
  'tcp.window_size_value < 1000',
  'tcp.window_size_scalefactor == 128',
  'tcp.hdr_len == 32',
  'tcp.checksum != 0',
  'tcp.urgent_pointer == 0',
  'tcp.options.mss_val == 65495',
  'tcp.port',
  'tcp.srcport matches "^5"',
  'tcp contains "GET"',
  'tcp.payload contains "HTTP"',
  'ip.addr == 127.0.0.1',
  'ip.addr != 127.0.0.1',
  'ip.src == 10.0.0.0/8 || ip.dst == 192.168.0.0/16',
  'ip.dst == 127.0.0.0/8',
  'ip.src > 10.0.0.0',
  'ip.ttl == 64',
  'ip.ttl < 64',
  'ip.proto == 17',
  'ip.id == 0x1234',
  'ip.len > 40',
  'ip.flags.df == 1',
  'ip.src',
  'ipv6.addr == ::1',
  'ipv6.src == 2001:db8::1',
  'ipv6.dst != ::1',
  'ipv6.hlim == 64',
  'udp.port == 53',
  'udp.port != 53',
  'udp.srcport == 53 || udp.dstport == 53',
  'udp.length > 20',
  'udp.checksum == 0',
  'udp.stream == 0',
  'udp',
  'udp.srcport',
  'dns.qry.name contains "example"',
  'http.request.method == "GET"',
  'http',
  'icmp || icmpv6',
  'icmp.type == 3',
  'arp',
  'eth.src == 66:77:88:99:aa:bb',
  'eth.addr == 00:00:00:00:00:00',
  'eth.dst != 00:11:22:33:44:55',
  'eth.type == 0x0800',
  'eth.type < 0x0600',
  'eth.type',
  'eth.len < 100',
  'frame.len > 60',
  'frame.cap_len == 54',
  'frame.number <= 3',
  'frame.encap_type == 1',
  'frame.time_epoch > 1600000000',
  'frame.protocols contains "tcp"',
  'data',
  'data.len > 3',
  '!tcp && !udp',
  '!(tcp.port == 8000) and ip.addr == 127.0.0.1',
  'not ip',
];

/** Compiles `expr` twice: as shipped, and with every field read from the tree (the reference). */
function both(expr: string): { fast: PacketPredicate; tree: PacketPredicate } {
  const fast = compileFilter(expr);
  filterOptions.eagerFacts = false;
  try {
    return { fast, tree: compileFilter(expr) };
  } finally {
    filterOptions.eagerFacts = true;
  }
}

function captureRecords(): { name: string; records: PacketRecord[] }[] {
  const out: { name: string; records: PacketRecord[] }[] = [];
  for (const dir of ['decode', 'packetPanel']) {
    const abs = path.join(repoRoot, 'test', 'fixtures', dir);
    for (const f of fs.readdirSync(abs).filter((n) => /\.pcap(ng)?$/.test(n)).sort()) {
      out.push({ name: `${dir}/${f}`, records: readCaptureFile(new Uint8Array(fs.readFileSync(path.join(abs, f)))).packets });
    }
  }
  return out;
}

/** Frames where the facts and the tree could part ways: several layers of one protocol, cut and bogus headers. */
function edgeRecords(): PacketRecord[] {
  const seg = tcp(ascii('GET / HTTP/1.1\r\n\r\n'), { flags: TCP.PSH | TCP.ACK, sport: 40000, dport: 8000 });
  const icmpErr = (inner: Uint8Array) => cat([3, 3], u16(0), u32(0), inner);
  const frames: PacketRecord[] = [
    record(eth(ipv4(icmpErr(ipv4(seg, { src: '10.0.0.1' })), { proto: 1, src: '192.168.0.1', dst: '10.0.0.1' }))),
    record(eth(ipv4(icmpErr(ipv4(udp(ascii('q'), { dport: 53 }), { proto: 17 })), { proto: 1 }))),
    record(eth(ipv4(ipv4(seg, { src: '10.1.1.1', dst: '10.2.2.2', ttl: 3 }), { proto: 4, src: '192.168.0.1' }))),
    record(eth(ipv4(ipv6(tcp(new Uint8Array(0), { flags: TCP.SYN }), { src: '2001:db8::1' }), { proto: 41 }))),
    record(eth(ipv6(ipv6(udp(ascii('x'), { sport: 53 }), { nxt: 17 }), { nxt: 41 }), 0x86dd)),
    record(eth(ipv4(udp(ascii('x'), { sport: 53 }), { proto: 17 }).slice(0, 24))), // UDP cut after the ports
    record(eth(ipv4(udp(ascii('x')), { proto: 17 }).slice(0, 16))), // IPv4 header cut
    record(eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.SYN, options: tcpOpt.mss(1460) })).slice(0, 30))), // TCP cut in the ports
    record(eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.SYN, options: [...tcpOpt.mss(65495), ...tcpOpt.nop(), ...tcpOpt.ws(7)] })).slice(0, 58))), // options cut
    record(eth(ipv4(tcp(ascii('abc'), { dataOffset: 4 })))), // header length < 20
    record(eth(ipv4(tcp(ascii('abc'), { dataOffset: 15 })))), // header length past the segment
    record(eth(ipv4(tcp(ascii('abcdef'), { flags: TCP.FIN | TCP.ACK | TCP.URG | TCP.ECE | TCP.CWR | TCP.AE | 0x800, urg: 3 })))),
    record(eth(cat([0x50], ipv4(udp(ascii('x')), { proto: 17 }).slice(1)))), // IPv4 version field 5
    record(eth(cat([0x70], ipv6(udp(ascii('x')), { nxt: 17 }).slice(1)), 0x86dd)), // IPv6 version field 7
    record(eth(ipv4(udp(ascii('frag')), { proto: 17, mf: true }))),
    record(eth(ascii('an 802.3 frame: a length, not a type'), 36)),
    record(eth(ipv4(tcp(ascii('hello')), { totalLength: 0 }))), // segmentation offload
    record(eth(ipv4(tcp(ascii('hello'), { sport: 8000, dport: 40001 }))), LinkType.ETHERNET, 1_700_000_000_000_000, 2000), // snap length
  ];
  return frames;
}

function fuzzRecords(seed: number, perLinkType: number): PacketRecord[] {
  const rnd = prng(seed);
  const out: PacketRecord[] = [];
  for (const lt of fuzzLinkTypes) {
    const seeds = seedFrames(lt);
    for (let i = 0; i < perLinkType; i++) {
      const data = mutate(seeds[i % seeds.length], rnd);
      out.push({ tsMicros: 1_700_000_000_000_000 + i, origLen: data.length + (rnd() < 0.2 ? 10 : 0), linkType: lt, data });
    }
  }
  return out;
}

/** Dissects a capture in order with one context (stream indices and relative numbers as the panel gets them). */
function dissectAll(records: readonly PacketRecord[]): DissectedPacket[] {
  const ctx = new DissectContext();
  return records.map((r, i) => dissect(r, ctx, i + 1));
}

/** Every expression on every packet: the fast predicate first (before the tree exists), then the tree's. */
function assertAgree(name: string, records: readonly PacketRecord[]): Map<string, number> {
  const matched = new Map<string, number>();
  const preds = expressions.map((e) => ({ e, ...both(e) }));
  const fastPkts = dissectAll(records);
  const treePkts = dissectAll(records);
  for (const { e, fast, tree } of preds) {
    let n = 0;
    fastPkts.forEach((p, i) => {
      const got = fast(p);
      const want = tree(treePkts[i]);
      assert.equal(got, want, `${name} packet ${i + 1} (${Buffer.from(records[i].data).toString('hex')}): "${e}" gave ${got}, the field tree says ${want}`);
      if (want) n++;
    });
    matched.set(e, (matched.get(e) ?? 0) + n);
  }
  return matched;
}

describe('display filter fast path (eager facts) agrees with the field tree', () => {
  it('reads only declared fields, each declared by its own protocol\'s dissector', () => {
    assert.ok(fastReaders.size >= 40, `${fastReaders.size} fast readers`);
    for (const id of fastReaders.keys()) {
      assert.ok(fieldRegistry.has(id), `${id} is declared`);
      assert.ok(protocolNames.has(id.split('.')[0]), `${id} belongs to a protocol`);
    }
  });

  it('on every packet of the fixture captures', () => {
    const totals = new Map<string, number>();
    for (const { name, records } of captureRecords()) {
      for (const [e, n] of assertAgree(name, records)) totals.set(e, (totals.get(e) ?? 0) + n);
    }
    // Not vacuous: the fixtures make these filters both match and miss.
    for (const e of ['tcp.flags.syn == 1', 'tcp.port == 18431', 'ip.addr == 127.0.0.1', 'ipv6.addr == ::1', 'udp.port == 53', 'frame.len > 60', 'tcp.window_size_value < 1000', 'ip.ttl == 64']) {
      assert.ok((totals.get(e) ?? 0) > 0, `"${e}" matched no fixture packet`);
    }
    assert.ok((totals.get('tcp.flags.syn == 1') ?? 0) < (totals.get('tcp') ?? Infinity));
  });

  it('on tunnels, ICMP-quoted packets and cut or bogus headers', () => {
    const m = assertAgree('edge frames', edgeRecords());
    // The quoted segment and the tunnelled one are TCP the facts do not describe: the tree still finds them.
    assert.ok((m.get('tcp.port == 8000') ?? 0) >= 2);
    assert.ok((m.get('ip.src == 10.0.0.0/8 || ip.dst == 192.168.0.0/16') ?? 0) >= 2);
  });

  it('on 1,500 seeded fuzzed frames across link types', () => {
    assertAgree('fuzz seed 7', fuzzRecords(7, 300));
  });

  it('packets whose tree a caller replaced are filtered on that tree', () => {
    const [p] = dissectAll([record(eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.SYN }))))]);
    assert.equal(compileFilter('tcp.flags.syn == 1')(p), true);
    p.layers = p.layers.filter((l) => l.name !== 'tcp');
    assert.equal(compileFilter('tcp.flags.syn == 1')(p), false);
    assert.equal(compileFilter('tcp.port == 8000')(p), false);
  });
});

describe('display filter fast path', () => {
  it('rests on this: a field named after a protocol only occurs in packets with a layer of that protocol', () => {
    const packets = [...captureRecords().flatMap((c) => dissectAll(c.records)), ...dissectAll(edgeRecords()), ...dissectAll(fuzzRecords(11, 300))];
    let checked = 0;
    for (const p of packets) {
      for (const f of allFields(p)) {
        const owner = f.id.split('.')[0];
        if (protocolNames.has(owner) && !fieldsOutsideTheirLayer.has(f.id)) {
          assert.ok(p.protocols.includes(owner), `${f.id} in a packet of ${p.protocols.join(':')}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 10_000, `only ${checked} fields checked`);
  });

  it('answers tcp, udp, ip, ipv6 and frame fields without building the field tree', () => {
    const cap = captureRecords().find((c) => c.name === 'decode/lo4.pcap') as { records: PacketRecord[] };
    const cap6 = captureRecords().find((c) => c.name === 'decode/lo6.pcap') as { records: PacketRecord[] };
    const noTree = ['tcp.flags.syn == 1 && tcp.flags.ack == 0', 'tcp.port == 18431', 'tcp.stream != 0', 'tcp.window_size_value > 100', 'ip.addr == 127.0.0.1', 'ip.ttl == 64', 'udp.port == 53', 'frame.len > 60', 'eth.addr == 00:00:00:00:00:00 && eth.type != 0x86dd', '!udp && tcp.len > 0', '!tcp && http.request.method == "GET"'];
    for (const records of [cap.records, cap6.records]) {
      const reference = dissectAll(records);
      const guarded = dissectAll(records);
      for (const p of guarded) {
        Object.defineProperty(p, 'layers', {
          get: () => {
            throw new Error('field tree built');
          },
        });
      }
      for (const e of noTree) {
        const f = compileFilter(e);
        const want = reference.map((p) => f(p));
        assert.deepEqual(
          guarded.map((p) => f(p)),
          want,
          e,
        );
      }
      // And one the facts do not cover reads the tree (the guard is live).
      assert.throws(() => guarded.forEach((p) => compileFilter('tcp.options.mss_val == 65495 || udp.stream == 0')(p)), /field tree built/);
    }
  });
});
