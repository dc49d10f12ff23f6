// The capture that judges lesson runs: once start() resolves, the very next packet on lo is in the file. dumpcap
// says "Capturing on" some 160 ms before it has lo open; only its "File:" line means it captures (a short run started
// right after "Capturing on" was recorded as no packets at all).
import * as assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LoopbackCapture } from '../../src/core/capture/loopbackCapture';
import { findField } from '../../src/core/decode/dissect';
import { freePort } from '../support';

describe('LoopbackCapture', function () {
  this.timeout(30_000);
  it('has lo open when start() resolves: a datagram sent at once is captured, three times in a row', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-loopcap-'));
    try {
      for (let run = 0; run < 3; run++) {
        const port = await freePort();
        const cap = await LoopbackCapture.start(path.join(dir, `${run}.pcapng`), `udp port ${port}`);
        if (typeof cap === 'string') {
          console.warn(`      skipped: ${cap}`);
          return this.skip();
        }
        const sock = dgram.createSocket('udp4');
        await new Promise<void>((r, j) => sock.send(`first ${run}`, port, '127.0.0.1', (e) => (e ? j(e) : r())));
        sock.close();
        const packets = await cap.packets();
        assert.equal(packets.length, 1, `run ${run}: the datagram sent as start() resolved`);
        assert.equal(findField(packets[0], 'udp.dstport')?.value, port);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
