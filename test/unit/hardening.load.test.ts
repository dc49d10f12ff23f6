// Load on the core SessionManager with real loopback sockets. Short variants always run;
// SOCKET_LAB_LONG=1 runs the issue's full sizes (scripts/long-tests.sh). Every test is bounded in count and time.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { CaptureManager, CaptureStartError } from '../../src/core/capture/captureManager';
import { helperLaunch } from '../../src/core/capture/helperLocation';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import { UdpSession } from '../../src/core/sessions/udpSession';
import { groupChildren } from '../../src/core/sessions/childGroups';
import { backToMark, LONG, mark, MiB, randomBytes, retainedBytes, sleep } from './hardening.util';
import { prng as rng } from './helpers';
import { until } from '../support';

const KiB = 1024;
/** Printed so scripts/long-tests.sh can copy the figures into docs/reliability.md. */
function figure(name: string, values: Record<string, string | number>): void {
  console.log(`      [figure] ${name}: ${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}

/** Writes `chunks` to `sock` honouring backpressure. */
async function writeAll(sock: net.Socket, chunks: Iterable<Uint8Array>): Promise<void> {
  for (const c of chunks) {
    if (!sock.write(c)) await new Promise<void>((r, j) => {
      const ok = () => { sock.off('close', bad); r(); };
      const bad = () => { sock.off('drain', ok); j(new Error('closed while writing')); };
      sock.once('drain', ok);
      sock.once('close', bad);
    });
  }
}

describe('hardening: load (loopback, bounded)', function () {
  this.timeout(LONG ? 900_000 : 120_000);

  it(`echo server: ${LONG ? '1,000 × 1 MiB' : '200 × 256 KiB'} concurrent clients, every byte echoed intact (sha256 per client), memory within budget`, async () => {
    const N = LONG ? 1000 : 200;
    const M = LONG ? MiB : 256 * KiB;
    const ring = 256 * KiB; // socketLab.transcript.maxBytes for this run: the budget scales with it, not with M
    const CH = 64 * KiB;
    const base = randomBytes(rng(42), M);
    const m = new SessionManager({ transcriptBytes: ring });
    const before = mark();
    const mem0 = retainedBytes();
    const t0 = Date.now();
    try {
      const srv = await m.startTcpServer({ port: 0, mode: 'echo', backlog: 2048 });
      const one = (i: number) => new Promise<{ sent: string; got: string; n: number }>((resolve, reject) => {
        // each client's stream differs (its index in the first bytes), so a mixed-up echo fails the check
        const head = base.slice(0, CH);
        new DataView(head.buffer).setUint32(0, i);
        const chunks: Uint8Array[] = [head];
        for (let o = CH; o < M; o += CH) chunks.push(base.subarray(o, Math.min(M, o + CH)));
        const sent = createHash('sha256');
        for (const c of chunks) sent.update(c);
        const got = createHash('sha256');
        let n = 0;
        const sock = net.connect({ port: srv.localPort!, host: '127.0.0.1', allowHalfOpen: true });
        sock.on('data', (b) => { got.update(b); n += b.length; });
        sock.on('error', reject);
        sock.on('end', () => { sock.destroy(); resolve({ sent: sent.digest('hex'), got: got.digest('hex'), n }); });
        sock.on('connect', () => { writeAll(sock, chunks).then(() => sock.end(), reject); });
      });
      const results = await Promise.all(Array.from({ length: N }, (_, i) => one(i)));
      const secs = (Date.now() - t0) / 1000;
      const bad = results.filter((r) => r.sent !== r.got || r.n !== M);
      assert.equal(bad.length, 0, `${bad.length} of ${N} clients got different bytes back`);
      // nothing cleared: closed connections beyond the default 100 kept are forgotten by the manager, and counted
      assert.equal(srv.children.length + srv.forgottenChildren, N);
      assert.ok(srv.children.length <= 100, `${srv.children.length} connections kept`);
      for (const c of srv.children) {
        assert.equal(c.transcript.counters.bytesIn, M);
        assert.equal(c.transcript.counters.bytesOut, M);
        // the ring keeps at most its capacity, the rest is counted as dropped, never silently lost
        assert.equal(c.transcript.endOffset - c.transcript.startOffset + c.transcript.counters.droppedBytes, 2 * M);
        assert.ok(c.transcript.endOffset - c.transcript.startOffset <= ring + CH);
      }
      assert.equal(srv.stats.bytesIn, N * M);
      const grown = retainedBytes() - mem0;
      const budget = N * ring + 64 * MiB;
      figure('echo', { clients: N, bytesEach: M, totalMiB: (N * M) / MiB, seconds: secs.toFixed(1), retainedGrowthMiB: (grown / MiB).toFixed(1), budgetMiB: budget / MiB, rssMiB: (process.memoryUsage().rss / MiB).toFixed(0) });
      assert.ok(grown < budget, `retained memory grew ${(grown / MiB).toFixed(1)} MiB, budget ${budget / MiB} MiB`);
      // the Connections tree never renders all N children at once
      const view = groupChildren(srv.children.map((c) => ({ id: c.id, state: c.state })), {});
      assert.ok(view.length <= 101, `tree would render ${view.length} rows`);
      srv.close();
      await until(() => srv.state === 'closed' && srv.children.every((c) => !c.isAlive), 'server and children closed', 10_000, 1);
      assert.equal(m.clearClosed(), srv.children.length + 1);
      assert.equal(m.all().length, 0);
    } finally {
      m.dispose();
    }
    await backToMark(before, 10_000);
  });

  it(`${LONG ? '10,000' : '2,000'} short connections in a row: no leak of sessions, descriptors, handles or tree rows`, async () => {
    const K = LONG ? 10_000 : 2_000;
    const m = new SessionManager();
    try {
      const srv = await m.startTcpServer({ port: 0, mode: 'echo' });
      const before = mark();
      const mem0 = retainedBytes();
      const t0 = Date.now();
      for (let i = 0; i < K; i++) {
        if (i % 2 === 0) {
          // a Socket Lab client session (what the "Connect" command opens)
          const c = await m.connectTcp({ port: srv.localPort! });
          await c.send(Uint8Array.of(i & 0xff, 1, 2, 3));
          await until(() => c.transcript.counters.bytesIn === 4, 'echo', 5000, 1);
          c.halfClose();
          await until(() => !c.isAlive, 'client closed', 5000, 1);
        } else {
          // a foreign peer (what a student's program is)
          await new Promise<void>((resolve, reject) => {
            const s = net.connect({ port: srv.localPort!, host: '127.0.0.1' }, () => s.end('hi'));
            s.on('error', reject);
            s.resume();
            s.on('close', () => resolve());
          });
        }
      }
      await until(() => srv.children.every((c) => !c.isAlive), 'every accepted connection closed', 10_000, 1);
      await sleep(10); // the manager forgets the oldest closed sessions a microtask after each close
      const secs = (Date.now() - t0) / 1000;
      // nothing cleared by hand: the manager keeps the newest 100 closed connections and 100 closed clients
      assert.equal(srv.children.length, 100);
      assert.equal(srv.forgottenChildren, K - 100);
      assert.equal(m.forgottenRoots, K / 2 - 100);
      assert.equal(m.all().length, 1 + 100 + 100);
      assert.ok(groupChildren(srv.children.map((c) => ({ id: c.id, state: c.state })), {}).length <= 101);
      const after = await backToMark(before, 10_000);
      const grown = retainedBytes() - mem0;
      figure('short-connections', { connections: K, seconds: secs.toFixed(1), fdsBefore: before.fds ?? '?', fdsAfter: after.fds ?? '?', handlesBefore: before.handles, handlesAfter: after.handles, retainedGrowthMiB: (grown / MiB).toFixed(1) });
      assert.ok(grown < 16 * MiB, `retained memory grew ${(grown / MiB).toFixed(1)} MiB after ${K} forgotten connections`);
    } finally {
      m.dispose();
    }
  });

  it(`${LONG ? '1 GiB' : '256 MiB'} through a sink session: the transcript stays bounded and counts what it dropped`, async () => {
    const TOTAL = LONG ? 1024 * MiB : 256 * MiB;
    const CH = 256 * KiB;
    const ringBytes = 4 * MiB;
    const m = new SessionManager({ transcriptBytes: ringBytes });
    try {
      const srv = await m.startTcpServer({ port: 0, mode: 'sink' });
      const mem0 = retainedBytes();
      const rss0 = process.memoryUsage().rss;
      const chunk = randomBytes(rng(7), CH);
      let peakRetained = 0;
      const t0 = Date.now();
      await new Promise<void>((resolve, reject) => {
        const s = net.connect({ port: srv.localPort!, host: '127.0.0.1', allowHalfOpen: true }, async () => {
          try {
            for (let sent = 0; sent < TOTAL; sent += CH) {
              if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
              if (sent % (64 * MiB) === 0) peakRetained = Math.max(peakRetained, retainedBytes() - mem0);
            }
            s.end();
          } catch (e) {
            reject(e);
          }
        });
        s.on('error', reject);
        s.on('close', () => resolve());
        s.resume();
      });
      const child = srv.children[0];
      await until(() => child.transcript.counters.bytesIn === TOTAL, 'every byte received', 30_000, 1);
      const secs = (Date.now() - t0) / 1000;
      const held = child.transcript.endOffset - child.transcript.startOffset;
      peakRetained = Math.max(peakRetained, retainedBytes() - mem0);
      const rssGrowth = process.memoryUsage().rss - rss0;
      figure('sink', { totalMiB: TOTAL / MiB, seconds: secs.toFixed(1), heldMiB: (held / MiB).toFixed(2), droppedMiB: (child.transcript.counters.droppedBytes / MiB).toFixed(0), peakRetainedGrowthMiB: (peakRetained / MiB).toFixed(1), rssGrowthMiB: (rssGrowth / MiB).toFixed(0) });
      assert.ok(held <= ringBytes, `transcript holds ${held} bytes, capacity ${ringBytes}`);
      assert.equal(held + child.transcript.counters.droppedBytes, TOTAL, 'held + dropped = received: nothing lost silently');
      assert.equal(child.transcript.counters.bytesOut, 0, 'sink answers nothing');
      assert.ok(peakRetained < 48 * MiB, `retained memory grew ${(peakRetained / MiB).toFixed(1)} MiB for a ${ringBytes / MiB} MiB ring`);
    } finally {
      m.dispose();
    }
  });

  it('UDP flood at a bounded rate: every datagram is either received or counted as a kernel drop', async () => {
    const K = LONG ? 50_000 : 5_000;
    const BURST = 250;
    const SIZE = 512;
    const m = new SessionManager();
    const tx = dgram.createSocket('udp4');
    try {
      const u = (await m.openUdp({ port: 0, mode: 'sink', recvBufferSize: 16 * KiB })) as UdpSession;
      const payload = randomBytes(rng(3), SIZE);
      let sendErrors = 0;
      let acked = 0;
      const t0 = Date.now();
      for (let sent = 0; sent < K; ) {
        // a burst without yielding overruns the small receive buffer; the pause between bursts bounds the rate
        for (let b = 0; b < BURST && sent < K; b++, sent++) tx.send(payload, u.localPort!, '127.0.0.1', (e) => (e ? sendErrors++ : acked++));
        await sleep(1);
      }
      await until(() => acked + sendErrors === K, 'every send to complete', 10_000, 1);
      // wait until the receiver has read all it will get: no new datagram for 200 ms
      let last = -1;
      let since = Date.now();
      await until(() => {
        const now = u.transcript.counters.chunksIn;
        if (now !== last) {
          last = now;
          since = Date.now();
        }
        return Date.now() - since >= 200;
      }, 'the receive count to settle', 10_000, 1);
      const drops = await u.refreshKernelDrops();
      const got = u.stats.chunksIn;
      const secs = (Date.now() - t0) / 1000;
      figure('udp-flood', { sent: K, received: got, kernelDrops: drops ?? 'n/a', sendErrors, seconds: secs.toFixed(1) });
      assert.equal(sendErrors, 0);
      assert.notEqual(drops, undefined, 'the kernel drop counter is readable on Linux');
      assert.ok(drops! > 0, 'the flood overran the 16 KiB buffer (otherwise this test proves nothing)');
      assert.equal(u.stats.kernelDrops, drops, 'the session exposes the drops in its stats');
      assert.equal(got + drops!, K, 'received + dropped = sent: no datagram vanished silently');
      assert.equal(u.stats.bytesIn, got * SIZE);
    } finally {
      tx.close();
      m.dispose();
    }
  });

  it(`${LONG ? '1 GiB' : '128 MiB'} into a sink server while a capture runs on lo: packet list and transcript bounded, drops counted, helper gone after`, async function () {
    const TOTAL = LONG ? 1024 * MiB : 128 * MiB;
    const CAP = 2_000;
    const caps = new CaptureManager({ launch: () => helperLaunch(process.execPath), maxPacketsPerCapture: CAP });
    const m = new SessionManager({ transcriptBytes: 4 * MiB });
    try {
      const srv = await m.startTcpServer({ port: 0, mode: 'sink' });
      const mem0 = retainedBytes();
      let capture;
      try {
        capture = await caps.start({ interface: 'lo', filter: `tcp port ${srv.localPort}`, snaplen: 128 });
      } catch (e) {
        if (e instanceof CaptureStartError || (e as { code?: string }).code === 'EPERM') {
          console.log(`      skipped: no capture here (${(e as Error).message})`);
          this.skip();
        }
        throw e;
      }
      const helper = caps.helperPid;
      const chunk = randomBytes(rng(9), 256 * KiB);
      let peak = 0;
      const t0 = Date.now();
      await new Promise<void>((resolve, reject) => {
        const s = net.connect({ port: srv.localPort!, host: '127.0.0.1', allowHalfOpen: true }, async () => {
          for (let sent = 0; sent < TOTAL; sent += chunk.length) {
            if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
            if (sent % (32 * MiB) === 0) peak = Math.max(peak, retainedBytes() - mem0);
          }
          s.end();
        });
        s.on('error', reject);
        s.on('close', () => resolve());
        s.resume();
      });
      const child = srv.children[0];
      await until(() => child.transcript.counters.bytesIn === TOTAL, 'every byte received', 30_000, 1);
      await until(() => capture.packets.endIndex > CAP, 'the capture to fill its ring', 10_000, 1);
      await capture.stop();
      peak = Math.max(peak, retainedBytes() - mem0);
      const secs = (Date.now() - t0) / 1000;
      figure('capture-while-sink', { totalMiB: TOTAL / MiB, seconds: secs.toFixed(1), packetsSeen: capture.packets.endIndex, kept: capture.packets.length, evicted: capture.evicted, helperDrops: capture.drops, peakRetainedGrowthMiB: (peak / MiB).toFixed(1) });
      assert.equal(capture.packets.length, CAP, 'the packet list holds exactly its capacity');
      assert.equal(capture.packets.length + capture.evicted, capture.packets.endIndex, 'kept + evicted = seen: nothing forgotten silently');
      assert.ok(Number.isInteger(capture.drops) && capture.drops >= 0);
      assert.equal(capture.stateText, 'stopped');
      assert.ok(child.transcript.endOffset - child.transcript.startOffset <= 4 * MiB);
      assert.ok(peak < 64 * MiB, `retained memory grew ${(peak / MiB).toFixed(1)} MiB`);
      caps.dispose();
      // the helper process exits with the manager
      await until(() => {
        try {
          process.kill(helper!, 0);
          return false;
        } catch {
          return true;
        }
      }, 'the capture helper to exit', 10_000, 1);
    } finally {
      caps.dispose();
      m.dispose();
    }
  });
});
