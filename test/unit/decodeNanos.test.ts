// Captures stamped in nanoseconds (dumpcap's pcapng, tcpdump --time-stamp-precision nano): times, TCP RTTs and the
// Time column keep every nanosecond, as Wireshark's do (they were rounded to µs).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packetRow } from '../../src/core/cli/decodeCommand';
import { DissectContext, type DissectedPacket, dissect, findField } from '../../src/core/decode/dissect';
import { ReplayLog } from '../../src/core/decode/replayLog';
import { FilePacketListModel } from '../../src/core/panels/filePacketListModel';
import { PacketListModel, arraySource } from '../../src/core/panels/packetListModel';
import { readCaptureFile } from '../../src/core/pcap/pcapReader';
import { hasTshark } from '../agreement';
import { repoRoot } from './helpers';

const FIELDS = ['frame.time_epoch', 'frame.time_relative', 'tcp.analysis.ack_rtt', 'tcp.analysis.initial_rtt'];

function tsharkRows(file: string): string[][] {
  const r = spawnSync('tshark', ['-n', '-2', '-r', file, '-T', 'fields', '-E', 'separator=\t', ...FIELDS.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
  return r.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
}

/** Our values in tshark's spelling: epoch as the tree shows it, the Time column, the RTTs with 9 decimals. */
function ourRow(p: DissectedPacket, first: DissectedPacket): string[] {
  const rtt = (id: string) => {
    const f = findField(p, id);
    return f === undefined ? '' : (f.value as number).toFixed(9);
  };
  const time = packetRow(p, first.tsMicros, first.tsNanos).trim().split(/\s+/)[1];
  return [findField(p, 'frame.time_epoch')?.display ?? '', time, rtt('tcp.analysis.ack_rtt'), rtt('tcp.analysis.initial_rtt')];
}

describe('decode: captures stamped in nanoseconds (against tshark)', () => {
  before(function () {
    if (!hasTshark()) this.skip(); // nothing to compare against
  });

  it('epoch time, Time column, ack_rtt and initial_rtt to the nanosecond, also through the replay log', () => {
    const file = path.join(repoRoot, 'test', 'fixtures', 'decode', 'lo-dumpcap.pcapng');
    const recs = readCaptureFile(new Uint8Array(fs.readFileSync(file))).packets;
    assert.ok(recs.every((r) => r.tsNanos !== undefined), 'dumpcap stamped the capture in nanoseconds');
    const ctx = new DissectContext();
    const log = new ReplayLog();
    const pkts = recs.map((r, i) => {
      const p = dissect(r, ctx, i + 1);
      log.record(i, p);
      return p;
    });
    const theirs = tsharkRows(file);
    assert.equal(theirs.length, pkts.length);
    const rtts = theirs.flatMap((r) => r.slice(2)).filter((v) => v !== '');
    assert.ok(rtts.some((v) => !v.endsWith('000')), 'some RTT has nanoseconds past the µs');
    pkts.forEach((p, i) => {
      assert.deepEqual(ourRow(p, pkts[0]), theirs[i], `#${i + 1}`);
      assert.deepEqual(ourRow(log.dissect(recs[i], i, i + 1) as DissectedPacket, pkts[0]).slice(2), theirs[i].slice(2), `#${i + 1} again (replay log)`);
    });
  });

  it("the packet panel's rows: Time to the nanosecond with 9 decimals on a ns capture, 6 on a µs one (both models)", async () => {
    for (const [f, nanos] of [['lo-dumpcap.pcapng', true], ['lo4.pcap', false]] as const) {
      const file = path.join(repoRoot, 'test', 'fixtures', 'decode', f);
      const theirs = tsharkRows(file).map((r) => r[1]);
      const whole = readCaptureFile(new Uint8Array(fs.readFileSync(file))).packets;
      const mem = new PacketListModel(arraySource(whole), Infinity);
      const fm = await FilePacketListModel.open(file, 3);
      await fm.whenComplete();
      try {
        for (const rows of [mem.rows(0, 1000).rows, (await fm.rows(0, 1000)).rows]) {
          assert.equal(rows.length, theirs.length);
          rows.forEach((r, i) => {
            assert.equal(r.nanos, nanos ? true : undefined, `${f} #${i + 1}`);
            // tshark's frame.time_relative has 9 decimals either way; a µs capture's end in 000.
            assert.equal(r.time.toFixed(9), theirs[i], `${f} #${i + 1}`);
          });
        }
      } finally {
        fm.dispose();
        mem.dispose();
      }
    }
  });
});
