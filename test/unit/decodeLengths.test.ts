// Frames whose length fields lie, and encapsulations nested past reason (issue 11, smaller items). tshark is the oracle.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DissectContext, dissect } from '../../src/core/decode/dissect';
import { MAX_DISSECTION_DEPTH } from '../../src/core/decode/registry';
import type { PacketRecord } from '../../src/shared/packet';

const hasTshark = spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;

const be16 = (n: number) => [n >> 8, n & 0xff];
const loop4 = [127, 0, 0, 1];
const loop6 = [...new Array<number>(15).fill(0), 1];
const eth = (type: number) => [...new Array<number>(12).fill(0), ...be16(type)];

function checksum(b: number[]): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}
function ipv4(totalLen: number, proto: number, payload: number[]): number[] {
  const h = [0x45, 0, ...be16(totalLen), 0, 1, 0, 0, 64, proto, 0, 0, ...loop4, ...loop4];
  const ck = checksum(h);
  h[10] = ck >> 8;
  h[11] = ck & 0xff;
  return [...h, ...payload];
}
const ipv6 = (plen: number, nxt: number, payload: number[]) => [0x60, 0, 0, 0, ...be16(plen), nxt, 64, ...loop6, ...loop6, ...payload];
// Checksum 0x1234: not verified by either side; 0 would be illegal over IPv6.
const udp = (len: number, payload: number[]) => [...be16(1234), ...be16(5678), ...be16(len), 0x12, 0x34, ...payload];
const hello = [...Buffer.from('hello12345')];

/** Complete frames (captured = on wire) whose length fields lie, and one genuinely cut by a snap length. */
const frames: { name: string; data: number[]; origLen?: number; lies: boolean }[] = [
  { name: 'IPv4 total length 200 in a 52-byte frame', data: [...eth(0x0800), ...ipv4(200, 17, udp(18, hello))], lies: true },
  { name: 'UDP length 100 in an 18-byte IP payload', data: [...eth(0x0800), ...ipv4(38, 17, udp(100, hello))], lies: true },
  { name: 'IPv6 payload length 300 in an 18-byte payload', data: [...eth(0x86dd), ...ipv6(300, 17, udp(18, hello))], lies: true },
  { name: 'IPv4 + UDP, 60 of 142 bytes captured (snap length)', data: [...eth(0x0800), ...ipv4(128, 17, udp(108, new Array<number>(100).fill(0x78)))].slice(0, 60), origLen: 142, lies: false },
  { name: 'IPv4 cut inside the UDP header (snap length)', data: [...eth(0x0800), ...ipv4(38, 17, udp(18, hello))].slice(0, 38), origLen: 52, lies: false },
];
const records: PacketRecord[] = frames.map((f, i) => ({ tsMicros: (i + 1) * 1e6, origLen: f.origLen ?? f.data.length, linkType: 1, data: Uint8Array.from(f.data) }));

function pcap(recs: PacketRecord[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  return Buffer.concat([
    head,
    ...recs.flatMap((r) => {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(r.tsMicros / 1e6, 0);
      h.writeUInt32LE(r.data.length, 8);
      h.writeUInt32LE(r.origLen, 12);
      return [h, Buffer.from(r.data)];
    }),
  ]);
}

describe('decode: length fields that lie are malformed, not "Packet size limited during capture"', () => {
  it('Info agrees with tshark on every crafted frame, and complete frames are never called cut', function () {
    if (!hasTshark) this.skip(); // tshark is not installed here, so there is nothing to compare against
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-lengths-'));
    try {
      const file = path.join(dir, 'lengths.pcap');
      fs.writeFileSync(file, pcap(records));
      const out = spawnSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=\t', '-e', '_ws.col.Info', '-e', '_ws.expert.message', '-e', '_ws.malformed'], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      const rows = out.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
      assert.equal(rows.length, frames.length);
      const ctx = new DissectContext();
      frames.forEach((f, i) => {
        const p = dissect(records[i], ctx, i + 1);
        const [info, expert] = rows[i];
        if (f.lies) {
          assert.equal(p.summary.info, info, `${f.name}: Info`);
          assert.ok(p.malformed?.startsWith('Malformed'), `${f.name}: malformed (${p.malformed})`);
          assert.ok(expert, `${f.name}: tshark has an expert note too`);
          assert.doesNotMatch(p.summary.info, /Packet size limited/, f.name);
        } else {
          // Cut by a snap length: this label, and only here.
          assert.ok(p.malformed?.startsWith('Truncated'), `${f.name}: ${p.malformed}`);
          // (tshark glues this label to a port pair without a space; the words must agree.)
          if (/Packet size limited/.test(info)) assert.equal(p.summary.info, info.replace(/(\S)\[/, '$1 ['), `${f.name}: Info`);
        }
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe(`decode: nesting is bounded (${MAX_DISSECTION_DEPTH} layers, then data with a note)`, () => {
  function nestedIpInIp(n: number): number[] {
    let inner = ipv4(38, 17, udp(18, hello));
    for (let i = 0; i < n; i++) inner = ipv4(20 + inner.length > 0xffff ? 0 : 20 + inner.length, 4, inner);
    return [...eth(0x0800), ...inner];
  }

  it('1,000 nested IP-in-IP headers: no stack overflow, bounded time, the rest as data with a note', () => {
    const data = Uint8Array.from(nestedIpInIp(1000));
    const t0 = performance.now();
    const p = dissect({ tsMicros: 0, origLen: data.length, linkType: 1, data });
    const layers = p.layers; // the full pass too
    const ms = performance.now() - t0;
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
    const ips = layers.filter((l) => l.name === 'ip').length;
    assert.ok(ips >= MAX_DISSECTION_DEPTH - 2 && ips <= MAX_DISSECTION_DEPTH, `${ips} IP layers`);
    assert.equal(layers[layers.length - 1].name, 'data');
    assert.match(p.malformed ?? '', new RegExp(`more than ${MAX_DISSECTION_DEPTH} nested layers`));
  });

  it('a 1,000-tag VLAN stack and an IPv6-in-IPv4 chain stop at the same depth', () => {
    const vlan = [...new Array<number>(12).fill(0)];
    for (let i = 0; i < 1000; i++) vlan.push(0x81, 0x00, 0x00, 0x01);
    vlan.push(0x08, 0x00, ...ipv4(38, 17, udp(18, hello)));
    let chain = ipv4(38, 17, udp(18, hello));
    for (let i = 0; i < 500; i++) chain = i % 2 === 0 ? ipv6(chain.length, 4, chain) : ipv4(20 + chain.length, 41, chain);
    for (const bytes of [vlan, [...eth(0x0800), ...chain]]) {
      const data = Uint8Array.from(bytes);
      const p = dissect({ tsMicros: 0, origLen: data.length, linkType: 1, data });
      assert.ok(p.layers.length <= MAX_DISSECTION_DEPTH + 3, `${p.layers.length} layers`);
      assert.match(p.malformed ?? '', /nested layers/);
    }
  });

  it('ordinary encapsulations below the limit are untouched', () => {
    const data = Uint8Array.from(nestedIpInIp(3));
    const p = dissect({ tsMicros: 0, origLen: data.length, linkType: 1, data });
    assert.equal(p.malformed, undefined);
    assert.deepEqual(p.protocols, ['frame', 'eth', 'ip', 'ip', 'ip', 'ip', 'udp', 'data']);
    assert.equal(p.summary.info, '1234 → 5678 Len=10');
  });
});
