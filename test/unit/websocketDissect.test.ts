// WebSocket frames in a captured TCP stream after an HTTP 101 upgrade (core/decode/websocket.ts), against tshark 4.0
// field by field on a capture made for real in the test: a `ws` server and client and a Python client with a
// hand-made handshake, over loopback, captured by dumpcap; one client agrees permessage-deflate.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runDecodeCommand } from '../../src/core/cli/decodeCommand';
import { type DissectedPacket, DissectContext, allFields, dissect } from '../../src/core/decode/dissect';
import { compileFilter } from '../../src/core/decode/displayFilter';
import { ReplayLog } from '../../src/core/decode/replayLog';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import type { PacketRecord } from '../../src/shared/packet';
import { compareWithTshark, total } from '../agreement';
import { LoopbackCapture } from './captureHelpers';
import { SENT, makeWsCapture } from '../fixtures/websocket/makeWsCapture';

function tshark(file: string, args: string[]): string[] {
  const r = spawnSync('tshark', ['-n', '-2', '-r', file, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return r.stdout.split('\n').filter((l) => l !== '');
}

const values = (p: DissectedPacket, id: string) => [...allFields(p)].filter((f) => f.id === id).map((f) => f.value);

/**
 * Where Socket Lab knowingly differs from tshark 4.0: a compressed message sent in fragments, which tshark does not
 * inflate (it shows the compressed bytes as its text, and their length as the reassembled length); Socket Lab does.
 */
function knownDifferences(pkts: readonly DissectedPacket[]): string[] {
  const p = pkts.find((x) => values(x, 'websocket.payload.text').includes(SENT.deflatedFragments.join('')) && values(x, 'websocket.fragment.count').length > 0);
  return [`#${p?.number} websocket.payload.text`, `#${p?.number} websocket.reassembled.length`];
}

describe('WebSocket dissection (captured ws and Python peers, against tshark)', function () {
  this.timeout(120_000);
  let dir = '';
  let file = '';
  let recs: PacketRecord[] = [];
  let pkts: DissectedPacket[] = [];

  before(async function () {
    const why = LoopbackCapture.why(['dumpcap', 'tshark', 'python3']);
    if (why) this.skip(); // no capture tools here: nothing to capture or compare with
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-ws-'));
    const made = await makeWsCapture(dir);
    if (typeof made === 'string') throw new Error(made);
    file = made.file;
    recs = readCaptureFile(new Uint8Array(fs.readFileSync(file))).packets;
    const ctx = new DissectContext();
    pkts = recs.map((r, i) => dissect(r, ctx, i + 1));
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('every websocket.* value and every other field agrees with tshark -2 (reassembly on)', () => {
    const r = compareWithTshark(file, { reassemble: true });
    assert.equal(r.skipped, undefined, r.skipped);
    assert.deepEqual(r.crashes, []);
    const t = total([r]);
    const ws = t.byProtocol.get('websocket');
    const known = knownDifferences(pkts);
    const lines = r.disagreements.filter((d) => !known.includes(`#${d.packet} ${d.field}`)).map((d) => `#${d.packet} ${d.field}: ${JSON.stringify(d.ours).slice(0, 120)} vs ${JSON.stringify(d.theirs).slice(0, 120)}`);
    console.log(`      websocket.* values: ${ws?.agreeing}/${ws?.compared} agree; all fields: ${t.agreeing}/${t.compared}`);
    assert.ok(ws !== undefined && ws.compared >= 150, `only ${ws?.compared ?? 0} websocket values compared`);
    assert.deepEqual(lines, []);
    assert.equal(r.disagreements.length, known.length, 'the known differences are still differences');
    // Each field of the brief is among those compared.
    for (const f of ['websocket.fragment', 'websocket.reassembled.length', 'websocket.fin', 'websocket.opcode', 'websocket.mask', 'websocket.payload_length', 'websocket.payload_length_ext_16', 'websocket.payload_length_ext_64', 'websocket.masking_key', 'websocket.payload.text', 'websocket.payload.close.status_code', 'websocket.payload.close.reason', 'websocket.pmc', 'websocket.payload.ping', 'websocket.payload.pong', 'frame.protocols', 'data.data']) {
      assert.ok((t.byField.get(f)?.compared ?? 0) > 0, `${f} was not compared`);
    }
  });

  it('the Protocol and Info columns are tshark\'s on every packet', () => {
    const theirs = tshark(file, ['-T', 'fields', '-E', 'separator=|', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info']);
    assert.equal(theirs.length, pkts.length);
    const rows = pkts.map((p) => `${p.summary.protocol}|${p.summary.info}`);
    // tshark ends an HTTP request line's Info with a space, which Socket Lab's HTTP dissector trims (not this part).
    const differ = rows.flatMap((row, i) => (row.trimEnd() === theirs[i].trimEnd() ? [] : [`#${i + 1} ours ${JSON.stringify(row)} tshark ${JSON.stringify(theirs[i])}`]));
    assert.deepEqual(differ, []);
    const ws = rows.filter((r) => r.startsWith('WebSocket|'));
    assert.ok(ws.includes('WebSocket|WebSocket Text [FIN] [MASKED]') && ws.includes('WebSocket|WebSocket Text [FIN] '), ws.join('\n'));
  });

  it('unmasks the client\'s payloads: texts, binary data, the ping, the close code and reason as sent', () => {
    const texts = pkts.flatMap((p) => values(p, 'websocket.payload.text'));
    for (const t of [SENT.text, SENT.medium, ...SENT.pythonFrames]) assert.equal(texts.filter((x) => x === t).length, 2, `${t}: sent once, echoed once`);
    const masked = pkts.filter((p) => values(p, 'websocket.mask').includes(true));
    assert.ok(masked.some((p) => values(p, 'websocket.payload.text').includes(SENT.text)));
    // A masked text's field points into the frame's unmasked bytes, a data source of its own (Wireshark's tab).
    const hello = masked.find((p) => values(p, 'websocket.payload.text').includes(SENT.text));
    const field = hello && [...allFields(hello)].find((f) => f.id === 'websocket.payload.text');
    const source = field?.source === undefined ? undefined : hello?.sources?.[field.source];
    assert.equal(source?.name, 'Unmasked Data');
    assert.equal(Buffer.from(source.bytes.subarray(field!.offset, field!.offset + field!.length)).toString(), SENT.text);
    const data = pkts.flatMap((p) => values(p, 'data.data'));
    assert.ok(data.includes(SENT.binary.toString('hex')));
    // 70000 bytes over several segments: one frame, its data shown from its first 4096 bytes.
    const large = pkts.filter((p) => values(p, 'websocket.payload_length_ext_64').includes(SENT.large.length));
    assert.equal(large.length, 2);
    for (const p of large) assert.ok((values(p, 'tcp.segment.count')[0] as number) > 1);
    assert.ok(pkts.some((p) => values(p, 'websocket.payload.ping').includes(Buffer.from(SENT.ping).toString('hex'))));
    assert.ok(pkts.some((p) => values(p, 'websocket.payload.pong').includes(Buffer.from(SENT.ping).toString('hex'))));
    assert.equal(pkts.filter((p) => values(p, 'websocket.payload.close.status_code').includes(SENT.closeCode)).length, 2);
    assert.ok(pkts.some((p) => values(p, 'websocket.payload.close.reason').includes(SENT.closeReason)));
    // The Python client's three texts and ping sit in one segment: four frames in one packet.
    const many = pkts.find((p) => values(p, 'websocket.opcode').length === 4);
    assert.deepEqual(many && values(many, 'websocket.opcode'), [1, 1, 1, 9]);
  });

  it('a message sent in fragments is shown whole in the packet of its last fragment (in one segment, and over three)', () => {
    const text = pkts.find((p) => values(p, 'websocket.fragment.count').includes(2));
    assert.ok(text, 'no two-fragment message');
    assert.deepEqual(values(text, 'websocket.opcode'), [1, 0]);
    assert.ok(values(text, 'websocket.payload.text').includes(SENT.fragmentedText));
    assert.deepEqual(values(text, 'websocket.fragment'), [text.number, text.number]);
    const binary = pkts.find((p) => values(p, 'websocket.fragment.count').includes(3));
    assert.ok(binary, 'no three-fragment message');
    assert.equal(new Set(values(binary, 'websocket.fragment')).size, 3, 'three fragments, three frames');
    assert.deepEqual(values(binary, 'websocket.reassembled.length'), [SENT.fragmentedBinary.length]);
    assert.deepEqual(values(binary, 'data.data'), [SENT.fragmentedBinary.toString('hex')]);
  });

  it('permessage-deflate: compressed messages are inflated with each side\'s window, whole or in fragments (websocket.pmc)', () => {
    const texts = pkts.flatMap((p) => values(p, 'websocket.payload.text'));
    for (const t of [...SENT.deflated, SENT.deflatedFragments.join('')]) assert.equal(texts.filter((x) => x === t).length, 2, `${t.slice(0, 20)}: sent once, echoed once`);
    const compressed = pkts.filter((p) => values(p, 'websocket.pmc').includes(true));
    assert.ok(compressed.length >= 8, `${compressed.length} compressed frames`);
    // Only the stream that agreed the extension has websocket.pmc.
    assert.equal(pkts.filter((p) => values(p, 'websocket.payload.text').includes(SENT.text) && values(p, 'websocket.pmc').length > 0).length, 0);
  });

  it('a packet dissected again alone (a row click) shows the same frames as the first pass', () => {
    const log = new ReplayLog();
    const ctx = new DissectContext();
    const first = recs.map((r, i) => {
      const p = dissect(r, ctx, i + 1);
      log.record(i, p);
      return p;
    });
    let wsPackets = 0;
    for (let i = 0; i < recs.length; i++) {
      const again = log.dissect(recs[i], i, i + 1);
      assert.ok(again, `packet ${i + 1} has no replay facts`);
      // (TCP analysis times are packed to the nanosecond by the log: not this part's business.)
      const tree = (p: DissectedPacket) => [...allFields(p)].filter((f) => !f.id.startsWith('tcp.analysis')).map((f) => `${f.id}=${String(f.value)}@${f.offset}+${f.length}`);
      const a = tree(first[i]);
      const b = tree(again);
      assert.deepEqual(b, a, `packet ${i + 1}`);
      assert.equal(again.summary.info, first[i].summary.info);
      if (first[i].protocols.includes('websocket')) wsPackets++;
    }
    assert.ok(wsPackets >= 15, `${wsPackets} WebSocket packets`);
  });

  it('display filters websocket and websocket.opcode == 1 keep the packets tshark keeps', () => {
    for (const expr of ['websocket', 'websocket.opcode == 1', 'websocket.mask == 1 && websocket.opcode == 8', 'websocket.payload.text == "bb"']) {
      const ours = pkts.filter(compileFilter(expr)).map((p) => String(p.number));
      const theirs = tshark(file, ['-Y', expr, '-T', 'fields', '-e', 'frame.number']);
      assert.ok(theirs.length > 0, `${expr}: tshark keeps nothing`);
      assert.deepEqual(ours, theirs, expr);
    }
  });

  it('without reassembly each segment is cut into frames alone, as tshark with tcp.desegment_tcp_streams off', () => {
    const r = compareWithTshark(file, { reassemble: false });
    assert.equal(r.skipped, undefined, r.skipped);
    assert.deepEqual(r.crashes, []);
    const ws = total([r]).byProtocol.get('websocket');
    console.log(`      reassembly off: websocket.* values ${ws?.agreeing}/${ws?.compared} agree`);
    assert.ok(ws !== undefined && ws.compared >= 150, `only ${ws?.compared ?? 0} websocket values compared`);
    // One known difference: tshark's single pass shows the two-fragment message on its last fragment, without that
    // fragment's Continue; Socket Lab shows it as tshark -2 (and Wireshark's window) do, at its first fragment.
    const text = pkts.find((p) => values(p, 'websocket.fragment.count').includes(2));
    const lines = r.disagreements.map((d) => `#${d.packet} ${d.field}`);
    assert.deepEqual(lines, [`#${text?.number} websocket.payload.continue`, ...knownDifferences(pkts)].sort((a, b) => parseInt(a.slice(1)) - parseInt(b.slice(1))));
    // A frame longer than its segment: its header, then "[Continuation to #N]" on the segments with the rest.
    const ctx = new DissectContext({ desegmentTcp: false });
    const alone = recs.map((rec, i) => dissect(rec, ctx, i + 1));
    const theirs = tshark(file, ['-o', 'tcp.desegment_tcp_streams:FALSE', '-T', 'fields', '-E', 'separator=|', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info']);
    // (tshark puts the continuation before a TCP analysis mark such as [TCP Window Full], Socket Lab after it.)
    const cont = (s: string) => s.replace(/\[Continuation to #\d+\] /, '');
    const differ = alone.flatMap((p, i) => {
      const ours = `${p.summary.protocol}|${p.summary.info}`;
      // A retransmitted segment goes to no dissector here (tcp.ts), so it is not named a continuation, as tshark does.
      if (/\[TCP (Spurious )?Retransmission\]/.test(theirs[i])) return [];
      const same = cont(ours).trimEnd() === cont(theirs[i]).trimEnd() && /\[Continuation to #\d+\]/.exec(ours)?.[0] === /\[Continuation to #\d+\]/.exec(theirs[i])?.[0];
      return same ? [] : [`#${i + 1} ours ${JSON.stringify(ours)} tshark ${JSON.stringify(theirs[i])}`];
    });
    assert.deepEqual(differ, []);
    assert.equal(alone.filter((p) => p.summary.info.includes('[BoundErrorUnreassembled Packet]')).length, 2);
    assert.ok(alone.filter((p) => p.summary.info.includes('[Continuation to #')).length >= 2);
    // A row click agrees with the first pass here too.
    const log = new ReplayLog({ desegmentTcp: false });
    const first = new DissectContext({ desegmentTcp: false });
    recs.forEach((rec, i) => log.record(i, dissect(rec, first, i + 1)));
    for (let i = 0; i < recs.length; i++) assert.equal(log.dissect(recs[i], i, i + 1)?.summary.info, alone[i].summary.info, `packet ${i + 1}`);
  });

  it('socket-lab decode lists the frames, and its filter finds them', async () => {
    let out = '';
    let err = '';
    const code = await runDecodeCommand([file, '-Y', 'websocket.opcode == 9'], { out: (s) => void (out += s), err: (s) => (err += s) });
    assert.equal(code, 0, err);
    const rows = out.trimEnd().split('\n');
    assert.equal(rows.length, 2, out); // the ws client's ping and the Python client's (with its texts)
    for (const row of rows) assert.match(row, /WebSocket\s+\d+ WebSocket (Ping|Text) \[FIN\] \[MASKED\]$/);
  });
});
