import * as assert from 'node:assert/strict';
import { DissectContext, dissect } from '../../src/core/decode/dissect';
import { FilterSyntaxError, compileFilter } from '../../src/core/decode/displayFilter';
import { LinkType } from '../../src/shared/packet';
import { TCP, arp, ascii, dnsQuery, eth, ipv4, ipv6, record, tcp, tcpOpt, udp } from './decodeFrames';

const ctx = new DissectContext();
const pkts = {
  syn: dissect(record(eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.SYN, options: tcpOpt.mss(1460) }), { src: '10.0.0.1', dst: '127.0.0.1', ttl: 64 }))), ctx),
  synAck: dissect(record(eth(ipv4(tcp(new Uint8Array(0), { flags: TCP.SYN | TCP.ACK, sport: 8000, dport: 51234 }), { src: '127.0.0.1', dst: '10.0.0.1', ttl: 128 }))), ctx),
  http: dissect(record(eth(ipv4(tcp(ascii('GET /x HTTP/1.1\r\nHost: h\r\n\r\n'), { flags: TCP.PSH | TCP.ACK }), { src: '10.0.0.1' }))), ctx),
  dns: dissect(record(eth(ipv4(udp(dnsQuery(1, 'example.com'), { sport: 5000, dport: 53 }), { proto: 17, src: '192.168.0.5', dst: '192.168.0.1' }))), ctx),
  arp: dissect(record(eth(arp(1, '02:00:00:00:00:01', '192.168.0.5', '00:00:00:00:00:00', '192.168.0.1'), 0x0806, 'ff:ff:ff:ff:ff:ff', '02:00:00:00:00:01')), ctx),
  v6: dissect(record(eth(ipv6(udp(ascii('six'), { dport: 9 }), { nxt: 17, src: '2001:db8::1', dst: '::1' }), 0x86dd), LinkType.ETHERNET), ctx),
};
const all = Object.entries(pkts);

/** Names of the packets a filter keeps. */
function keep(expr: string): string[] {
  const f = compileFilter(expr);
  return all.filter(([, p]) => f(p)).map(([n]) => n);
}

describe('display filter', () => {
  it('protocol names test presence, ! and not negate', () => {
    assert.deepEqual(keep('tcp'), ['syn', 'synAck', 'http']);
    assert.deepEqual(keep('!tcp'), ['dns', 'arp', 'v6']);
    assert.deepEqual(keep('not udp'), ['syn', 'synAck', 'http', 'arp']);
    assert.deepEqual(keep('http'), ['http']);
    assert.deepEqual(keep('ipv6'), ['v6']);
    assert.deepEqual(keep(''), Object.keys(pkts));
  });

  it('flag, number and hex comparisons', () => {
    assert.deepEqual(keep('tcp.flags.syn == 1'), ['syn', 'synAck']);
    assert.deepEqual(keep('tcp.flags.syn == 1 && tcp.flags.ack == 0'), ['syn']);
    assert.deepEqual(keep('tcp.flags.syn == true and tcp.flags.ack == 1'), ['synAck']);
    assert.deepEqual(keep('tcp.flags == 0x012'), ['synAck']);
    assert.deepEqual(keep('ip.ttl > 64'), ['synAck']);
    assert.deepEqual(keep('ip.ttl >= 64 && ip.ttl <= 64'), ['syn', 'http', 'dns']);
    assert.deepEqual(keep('ip.ttl lt 100 and tcp'), ['syn', 'http']);
    assert.deepEqual(keep('tcp.options.mss_val == 1460'), ['syn']);
    assert.deepEqual(keep('tcp.len > 0'), ['http']);
  });

  it('ip.addr, tcp.port and udp.port match either side; != means neither', () => {
    assert.deepEqual(keep('ip.addr == 127.0.0.1'), ['syn', 'synAck', 'http']);
    assert.deepEqual(keep('ip.src == 127.0.0.1'), ['synAck']);
    assert.deepEqual(keep('tcp.port == 8000'), ['syn', 'synAck', 'http']);
    assert.deepEqual(keep('udp.port == 53'), ['dns']);
    assert.deepEqual(keep('ip.addr != 10.0.0.1'), ['dns', 'arp', 'v6']);
    assert.deepEqual(keep('ip.addr == 192.168.0.0/16'), ['dns']);
    assert.deepEqual(keep('ipv6.addr == 2001:db8:0:0::1'), ['v6']);
    assert.deepEqual(keep('eth.addr == ff-ff-ff-ff-ff-ff'), ['arp']);
    assert.deepEqual(keep('arp.opcode == 1'), ['arp']);
  });

  it('strings, contains, matches, parentheses and precedence', () => {
    assert.deepEqual(keep('dns.qry.name == "example.com"'), ['dns']);
    assert.deepEqual(keep('dns.qry.name contains "ample"'), ['dns']);
    assert.deepEqual(keep('http.request.method matches "^g"'), ['http']);
    assert.deepEqual(keep('tcp contains "GET"'), ['http']);
    assert.deepEqual(keep('frame contains 47:45:54'), ['http']);
    assert.deepEqual(keep('tcp.payload contains "Host"'), ['http']);
    assert.deepEqual(keep('udp || arp && eth.dst == ff:ff:ff:ff:ff:ff'), ['dns', 'arp', 'v6']);
    assert.deepEqual(keep('(udp || arp) && !ipv6'), ['dns', 'arp']);
    assert.deepEqual(keep('!(tcp.port == 8000 or udp)'), ['arp']);
  });

  it('bad expressions throw a FilterSyntaxError with the position and a hint', () => {
    const cases: [string, RegExp, number][] = [
      ['tcp.flgs == 1', /"tcp.flgs" is not a field or protocol name/, 0],
      ['tcp.port == ', /A value is missing after "=="/, 12],
      ['tcp.port == abc', /"abc" is not a number/, 12],
      ['(tcp', /Missing "\)"/, 4],
      ['tcp)', /no matching "\("/, 3],
      ['tcp udp', /join conditions with && or \|\|/, 4],
      ['ip.addr == 300.1.1.1', /not an IPv4 address/, 11],
      ['tcp.flags.syn == 2', /compare it with 1 or 0/, 17],
      ['tcp.port == 1 &&', /ends too early/, 16],
      ['dns.qry.name == "x', /closing quote/, 16],
      ['tcp.port # 1', /Unexpected character "#"/, 9],
    ];
    for (const [expr, re, pos] of cases) {
      assert.throws(
        () => compileFilter(expr),
        (e: unknown) => e instanceof FilterSyntaxError && re.test(e.message) && e.position === pos && e.code === 'EFILTER' && e.message.includes(`at character ${pos + 1}`),
        expr,
      );
    }
  });
});
