import * as assert from 'node:assert/strict';
import type { StartRequest } from '../../src/shared/captureProtocol';
import {
  BATCH_HEADER_BYTES,
  CaptureLimits,
  checkStartRequest,
  decodeControl,
  decodePacketBatch,
  encodeControl,
  encodeFrame,
  encodePacketBatch,
  FRAME_HEADER_BYTES,
  HelperFrameDecoder,
  FrameError,
  FrameKind,
  isHelperEvent,
  isHelperRequest,
  PacketBatchBuilder,
  permissionFix,
} from '../../src/shared/captureProtocol';
import type { PacketRecord } from '../../src/shared/packet';
import { LinkType } from '../../src/shared/packet';

function rec(i: number, len: number): PacketRecord {
  const data = new Uint8Array(len);
  for (let k = 0; k < len; k++) data[k] = (i * 31 + k) & 0xff;
  return { tsMicros: 1_700_000_000_000_000 + i * 1_234_567, origLen: len + (i % 3), linkType: i % 2 ? LinkType.ETHERNET : LinkType.LINUX_SLL2, data };
}

/** Splits bytes at the given cut points, as a pipe might deliver them. */
function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const startReq = (over: Partial<StartRequest> = {}): StartRequest => ({
  type: 'start',
  captureId: 1,
  interface: 'lo',
  filter: 'tcp port 8000',
  snaplen: 65535,
  bufferSize: CaptureLimits.defaultBufferSize,
  engine: 'auto',
  ...over,
});

describe('capture protocol: frames', () => {
  it('encodes u32 length | u8 kind | payload', () => {
    const f = encodeFrame(FrameKind.Control, new Uint8Array([7, 8, 9]));
    assert.deepEqual([...f], [0, 0, 0, 3, 1, 7, 8, 9]);
  });

  it('round-trips control messages through the streaming decoder', () => {
    const msgs = [
      { kind: 'req' as const, id: 1, body: { type: 'hello' } },
      { kind: 'res' as const, id: 1, body: { ok: true, note: 'ünïcødé ✓ 中文' } },
      { kind: 'evt' as const, body: { type: 'stats', captureId: 3, received: 1, delivered: 1, dropped: 0 } },
    ];
    const d = new HelperFrameDecoder();
    const got = d.push(concat(msgs.map(encodeControl)));
    assert.equal(got.length, 3);
    assert.deepEqual(got.map((f) => decodeControl(f.payload)), msgs);
    assert.equal(d.bufferedBytes, 0);
  });

  it('reassembles frames from every possible split of the stream, including byte-by-byte', () => {
    const frames = [encodeControl({ kind: 'evt', body: { a: 1 } }), encodePacketBatch(9, [rec(1, 60), rec(2, 1), rec(3, 0)]), encodeFrame(FrameKind.Control, new Uint8Array(0))];
    const stream = concat(frames);
    for (let a = 0; a <= stream.length; a++) {
      for (const b of [a, Math.min(stream.length, a + 3), Math.min(stream.length, a + 17)]) {
        const d = new HelperFrameDecoder();
        const out = cut(stream, [a, b]).flatMap((c) => d.push(c));
        assert.equal(out.length, 3, `split at ${a},${b}`);
        assert.deepEqual([...out[0].payload], [...frames[0].subarray(FRAME_HEADER_BYTES)]);
        assert.deepEqual([...out[1].payload], [...frames[1].subarray(FRAME_HEADER_BYTES)]);
        assert.equal(out[2].payload.length, 0);
      }
    }
    const d = new HelperFrameDecoder();
    const one = [...stream].flatMap((byte) => d.push(new Uint8Array([byte])));
    assert.equal(one.length, 3);
    assert.equal(decodePacketBatch(one[1].payload).records.length, 3);
  });

  it('rejects a frame longer than the bound before buffering it, and stays broken', () => {
    const d = new HelperFrameDecoder(1000);
    const header = new Uint8Array([0, 0, 0x03, 0xe9, FrameKind.Packets]); // 1001 bytes
    assert.throws(() => d.push(header), (e: unknown) => e instanceof FrameError && /1001 exceeds the limit of 1000/.test(e.message));
    assert.throws(() => d.push(encodeFrame(FrameKind.Control, new Uint8Array(1))), FrameError);
    const ok = new HelperFrameDecoder(1000);
    assert.equal(ok.push(encodeFrame(FrameKind.Packets, new Uint8Array(1000))).length, 1);
  });

  it('rejects an unknown frame kind', () => {
    const d = new HelperFrameDecoder();
    assert.throws(() => d.push(new Uint8Array([0, 0, 0, 0, 9])), /unknown frame kind 9/);
  });

  it('rejects control payloads that are not UTF-8 JSON RPC envelopes', () => {
    assert.throws(() => decodeControl(new Uint8Array([0xff, 0xfe])));
    assert.throws(() => decodeControl(new TextEncoder().encode('{"kind":"req"}')), /not an RPC envelope/);
    assert.throws(() => decodeControl(new TextEncoder().encode('{')));
  });
});

describe('capture protocol: packet batches', () => {
  it('round-trips records exactly (timestamps to the microsecond, lengths, link type, bytes)', () => {
    const records = Array.from({ length: 50 }, (_, i) => rec(i, (i * 37) % 1500));
    const frame = encodePacketBatch(42, records);
    const [f] = new HelperFrameDecoder().push(frame);
    assert.equal(f.kind, FrameKind.Packets);
    const batch = decodePacketBatch(f.payload);
    assert.equal(batch.captureId, 42);
    assert.equal(batch.records.length, 50);
    for (let i = 0; i < 50; i++) {
      assert.equal(batch.records[i].tsMicros, records[i].tsMicros);
      assert.equal(batch.records[i].origLen, records[i].origLen);
      assert.equal(batch.records[i].linkType, records[i].linkType);
      assert.deepEqual([...batch.records[i].data], [...records[i].data]);
    }
  });

  it('the builder copies data, so reusing the source buffer (as cap does) cannot corrupt a batch', () => {
    const shared = new Uint8Array(64);
    const b = new PacketBatchBuilder(1, 4096);
    for (let i = 0; i < 3; i++) {
      shared.fill(i + 1);
      b.add(1e15 + i, 64, 1, shared);
    }
    shared.fill(0xee);
    const out = decodePacketBatch(b.finish().subarray(FRAME_HEADER_BYTES));
    assert.deepEqual(out.records.map((r) => r.data[0]), [1, 2, 3]);
    assert.equal(b.count, 0);
  });

  it('fits() bounds a batch by capacity but always admits a first record', () => {
    const b = new PacketBatchBuilder(1, 200);
    assert.ok(b.fits(10_000));
    b.add(0, 100, 1, new Uint8Array(100));
    assert.ok(!b.fits(100));
    assert.ok(b.fits(200 - FRAME_HEADER_BYTES - BATCH_HEADER_BYTES - 100 - 18 - 18));
    b.add(0, 1000, 1, new Uint8Array(1000)); // grows rather than failing
    assert.equal(decodePacketBatch(b.finish().subarray(FRAME_HEADER_BYTES)).records.length, 2);
  });

  it('rejects batches whose counts or lengths run past the payload', () => {
    const good = encodePacketBatch(1, [rec(1, 10)]).subarray(FRAME_HEADER_BYTES);
    assert.throws(() => decodePacketBatch(good.subarray(0, 7)), /shorter than its header/);
    const moreRecords = good.slice();
    moreRecords[7] = 2;
    assert.throws(() => decodePacketBatch(moreRecords), FrameError);
    const longData = good.slice();
    new DataView(longData.buffer).setUint32(BATCH_HEADER_BYTES + 8, 11);
    new DataView(longData.buffer).setUint32(BATCH_HEADER_BYTES + 12, 11);
    assert.throws(() => decodePacketBatch(longData), /data runs past the batch/);
    const capOverOrig = good.slice();
    new DataView(capOverOrig.buffer).setUint32(BATCH_HEADER_BYTES + 12, 9);
    assert.throws(() => decodePacketBatch(capOverOrig), /more than its original length/);
    const stray = concat([good, new Uint8Array([1])]);
    assert.throws(() => decodePacketBatch(stray), /stray bytes/);
    const badUsec = good.slice();
    new DataView(badUsec.buffer).setUint32(BATCH_HEADER_BYTES + 4, 1_000_000);
    assert.throws(() => decodePacketBatch(badUsec), /microseconds/);
  });
});

describe('capture protocol: validation', () => {
  const ifaces = [{ name: 'lo', addresses: ['127.0.0.1'], loopback: true }, { name: 'eth0', addresses: [], loopback: false }];

  it('accepts a normal request', () => {
    assert.equal(checkStartRequest(startReq(), ifaces), undefined);
  });

  it('requires an interface from the enumerated list and a sane name', () => {
    assert.equal(checkStartRequest(startReq({ interface: 'wlan9' }), ifaces)?.code, 'EBADIF');
    assert.match(checkStartRequest(startReq({ interface: 'wlan9' }), ifaces)?.message ?? '', /choose one of: lo, eth0/);
    assert.equal(checkStartRequest(startReq({ interface: '-w' }), undefined)?.code, 'EBADIF');
    assert.equal(checkStartRequest(startReq({ interface: 'lo; rm -rf /' }), undefined)?.code, 'EBADIF');
    assert.equal(checkStartRequest(startReq({ interface: '\\Device\\NPF_{0A1B}' }), undefined), undefined);
  });

  it('caps filter length, snap length and buffer size', () => {
    assert.equal(checkStartRequest(startReq({ filter: 'x'.repeat(CaptureLimits.maxFilterLength) }), ifaces), undefined);
    assert.equal(checkStartRequest(startReq({ filter: 'x'.repeat(CaptureLimits.maxFilterLength + 1) }), ifaces)?.code, 'EBADFILTER');
    assert.equal(checkStartRequest(startReq({ filter: 'tcp\nport 1' }), ifaces)?.code, 'EBADFILTER');
    assert.equal(checkStartRequest(startReq({ snaplen: 10 }), ifaces)?.code, 'EBADARG');
    assert.equal(checkStartRequest(startReq({ snaplen: CaptureLimits.maxSnaplen + 1 }), ifaces)?.code, 'EBADARG');
    assert.equal(checkStartRequest(startReq({ bufferSize: 1 }), ifaces)?.code, 'EBADARG');
  });

  it('type guards accept only well-formed requests and events', () => {
    assert.ok(isHelperRequest({ type: 'hello' }));
    assert.ok(isHelperRequest(startReq()));
    assert.ok(!isHelperRequest({ ...startReq(), engine: 'bash' }));
    assert.ok(!isHelperRequest({ ...startReq(), snaplen: '65535' }));
    assert.ok(!isHelperRequest({ type: 'stop' }));
    assert.ok(!isHelperRequest({ type: 'exec', cmd: 'ls' }));
    assert.ok(!isHelperRequest(Object.assign([], { type: 'hello' })), 'an array is not a request (as in both panel protocols)');
    assert.ok(isHelperEvent({ type: 'stats', captureId: 1, received: 2, delivered: 2, dropped: 0 }));
    assert.ok(!isHelperEvent({ type: 'stats', captureId: 1, received: -2, delivered: 2, dropped: 0 }));
    assert.ok(isHelperEvent({ type: 'stopped', captureId: 1, reason: 'x', stats: { captureId: 1, received: 2, delivered: 2, dropped: 0 } }));
    // A stop without counters would show "0 dropped" as if known.
    assert.ok(!isHelperEvent({ type: 'stopped', captureId: 1, reason: 'x', stats: {} }));
    // The engine's own accounting: optional counts, and how it reports drops.
    const full = { captureId: 1, received: 5, delivered: 5, dropped: 0, dropReporting: 'atStop', kernelReceived: 9, kernelDrops: 4, interfaceDrops: 0, engineDrops: 0 };
    assert.ok(isHelperEvent({ type: 'stats', ...full }));
    assert.ok(!isHelperEvent({ type: 'stats', ...full, kernelDrops: -1 }));
    assert.ok(!isHelperEvent({ type: 'stats', ...full, dropReporting: 'sometimes' }));
  });

  it('permission fixes name the platform remedy', () => {
    assert.match(permissionFix('linux'), /setcap cap_net_raw,cap_net_admin=eip/);
    assert.match(permissionFix('linux'), /root/);
    assert.match(permissionFix('darwin'), /ChmodBPF/);
    assert.match(permissionFix('win32'), /Npcap.*loopback/);
  });
});
