// Our decoders against Wireshark's own on real loopback captures (tcpdump / dumpcap files under test/fixtures/decode).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type DissectedPacket, DissectContext, allFields, dissect } from '../../src/core/decode/dissect';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import { repoRoot } from './helpers';

const dir = path.join(repoRoot, 'test', 'fixtures', 'decode');
const fixtures = ['lo4.pcap', 'lo6.pcap', 'any-sll.pcap', 'any-sll2.pcap', 'lo-dumpcap.pcapng'];
const hasTshark = spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;

/** Fields compared value by value with `tshark -T fields` (numbers, addresses, strings, flags). */
const compared = [
  'frame.len', 'frame.cap_len', 'frame.protocols', 'eth.src', 'eth.dst', 'eth.type', 'sll.pkttype', 'sll.hatype', 'sll.etype', 'sll.ifindex',
  'ip.hdr_len', 'ip.len', 'ip.id', 'ip.flags', 'ip.flags.df', 'ip.ttl', 'ip.proto', 'ip.src', 'ip.dst',
  'ipv6.version', 'ipv6.plen', 'ipv6.nxt', 'ipv6.hlim', 'ipv6.src', 'ipv6.dst',
  'tcp.srcport', 'tcp.dstport', 'tcp.stream', 'tcp.len', 'tcp.seq', 'tcp.seq_raw', 'tcp.nxtseq', 'tcp.ack', 'tcp.ack_raw', 'tcp.hdr_len', 'tcp.flags', 'tcp.flags.syn', 'tcp.flags.ack',
  'tcp.flags.fin', 'tcp.flags.push', 'tcp.window_size_value', 'tcp.window_size', 'tcp.window_size_scalefactor', 'tcp.options.mss_val', 'tcp.options.wscale.shift',
  'tcp.options.wscale.multiplier', 'tcp.options.timestamp.tsval', 'tcp.options.timestamp.tsecr',
  'udp.srcport', 'udp.dstport', 'udp.length', 'udp.stream', 'icmp.type', 'icmp.code', 'icmp.ident', 'icmp.seq', 'icmpv6.type', 'icmpv6.code', 'icmpv6.echo.identifier',
  'dns.id', 'dns.flags.response', 'dns.count.queries', 'dns.qry.name', 'dns.qry.type', 'http.request.method', 'http.request.uri', 'http.request.version', 'http.response.code', 'http.response.phrase', 'http.host',
];

/** tshark prints hex for some integer fields and 1/0 or True/False for flags; compare meanings, not spellings. */
function norm(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  const s = String(v);
  if (s === 'True') return '1';
  if (s === 'False') return '0';
  if (/^0x[0-9a-f]+$/i.test(s)) return String(parseInt(s, 16));
  return s;
}

function ours(p: DissectedPacket, id: string): string {
  // Only the outer headers: tshark also decodes the packet quoted inside ICMP errors, which we leave as data.
  return [...allFields(p)].filter((f) => f.id === id).map((f) => norm(f.value))[0] ?? '';
}

describe('decode matches Wireshark on real loopback captures', function () {
  before(function () {
    if (!hasTshark) this.skip(); // tshark is not installed here, so there is nothing to compare against
  });

  for (const name of fixtures) {
    it(`${name}: Info column and ${compared.length} fields agree with tshark`, () => {
      const file = path.join(dir, name);
      const cap = readCaptureFile(new Uint8Array(fs.readFileSync(file)));
      const ctx = new DissectContext();
      const mine = cap.packets.map((r, i) => dissect(r, ctx, i + 1));
      const out = spawnSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info', ...compared.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      const rows = out.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
      assert.equal(rows.length, mine.length);
      rows.forEach((cols, i) => {
        const p = mine[i];
        // Cross-packet notes ("(reply in 14)") need request/response tracking we do not do.
        const info = cols[1].replace(/\s*\((request|reply) in \d+\)\s*$/, '').trimEnd();
        assert.equal(p.summary.info, info, `packet ${i + 1} Info`);
        assert.equal(p.summary.protocol, cols[0], `packet ${i + 1} Protocol`);
        compared.forEach((id, k) => {
          const theirs = norm(cols[k + 2] ?? '');
          if (id === 'frame.protocols') {
            // tshark goes on into ICMP-quoted packets and HTTP bodies (data-text-lines); the common stem must agree.
            assert.ok(theirs.startsWith(ours(p, id)), `packet ${i + 1} frame.protocols ${ours(p, id)} vs ${theirs}`);
            return;
          }
          assert.equal(ours(p, id), theirs, `packet ${i + 1} ${id}`);
        });
      });
    });
  }
});
