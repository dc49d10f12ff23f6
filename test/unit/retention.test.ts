// Retention with a budget: a listener left running (nothing cleared by hand) keeps its memory bounded.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import { MiB, sleep } from './hardening.util';
import { repoRoot } from './helpers';
import { until } from '../support';

const KiB = 1024;

/** `count` foreign clients (`parallel` at a time), each sends `size` bytes and closes. */
async function clients(port: number, count: number, size: number, parallel = 50): Promise<void> {
  const payload = Buffer.alloc(size, 0x61);
  let next = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => s.end(payload));
      s.on('error', reject);
      s.resume();
      s.on('close', () => resolve());
    });
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) {
      next++;
      await one();
    }
  }));
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

describe('retention: closed sessions and transcripts within a budget', function () {
  this.timeout(120_000);

  it('a server left running forgets its oldest closed connections beyond 100, counts them, and keeps their byte totals', async () => {
    const N = 600;
    const m = new SessionManager();
    try {
      const srv = await m.startTcpServer({ port: 0, mode: 'sink', backlog: 512 });
      await clients(srv.localPort!, N, 256 * KiB);
      await until(() => srv.children.length + srv.forgottenChildren === N && srv.children.every((c) => !c.isAlive), 'every connection closed', 10_000, 1);
      await sleep(10);
      assert.equal(srv.children.length, 100);
      assert.equal(srv.forgottenChildren, N - 100);
      assert.equal(m.all().length, 101, 'the manager forgot them too');
      assert.equal(srv.stats.bytesIn, N * 256 * KiB, 'the server still counts every byte it received');
      assert.ok(m.budgets.transcript.heldBytes <= 64 * MiB, `transcripts hold ${m.budgets.transcript.heldBytes} bytes`);
    } finally {
      m.dispose();
    }
  });

  it('all transcripts together stay within the global budget, open sessions included, and every dropped byte is counted', async () => {
    const m = new SessionManager({ transcriptBytes: 4 * MiB, transcriptBudgetBytes: 4 * MiB });
    const peers: net.Socket[] = [];
    try {
      const srv = await m.startTcpServer({ port: 0, mode: 'sink' });
      for (let i = 0; i < 8; i++) {
        const s = net.connect({ port: srv.localPort!, host: '127.0.0.1' });
        peers.push(s);
        await new Promise<void>((r) => s.write(Buffer.alloc(MiB, i), () => r()));
      }
      await until(() => srv.children.length === 8 && srv.children.every((c) => c.transcript.counters.bytesIn === MiB), 'all bytes received', 10_000, 1);
      assert.ok(srv.children.every((c) => c.isAlive), 'every connection still open');
      const held = srv.children.reduce((n, c) => n + c.transcript.bytesHeld, 0);
      assert.ok(held <= 4 * MiB + 64 * KiB, `held ${held} bytes over a 4 MiB budget`); // the newest chunk of each stays
      assert.equal(m.budgets.transcript.heldBytes, held);
      for (const c of srv.children) {
        const t = c.transcript;
        assert.equal(t.endOffset - t.startOffset + t.counters.droppedBytes, MiB, 'held + dropped = received');
      }
      // the newest connection's latest bytes are still readable
      const last = srv.children[7].transcript;
      assert.equal(last.read(last.endOffset - 1, 1)[0], 7);
    } finally {
      for (const p of peers) p.destroy();
      m.dispose();
    }
  });

  it('closed sessions give up their bytes before open ones', async () => {
    const m = new SessionManager({ transcriptBytes: 4 * MiB, transcriptBudgetBytes: 2 * MiB });
    try {
      const srv = await m.startTcpServer({ port: 0, mode: 'sink' });
      await clients(srv.localPort!, 1, MiB, 1); // one that closes
      await until(() => srv.children.length === 1 && !srv.children[0].isAlive, 'first closed', 5000, 1);
      const open = net.connect({ port: srv.localPort!, host: '127.0.0.1' });
      try {
        await new Promise<void>((r) => open.write(Buffer.alloc(1536 * KiB, 1), () => r()));
        await until(() => srv.children[1]?.transcript.counters.bytesIn === 1536 * KiB, 'second received', 5000, 1);
        assert.equal(srv.children[1].transcript.counters.droppedBytes, 0, 'the open connection keeps all its bytes');
        assert.ok(srv.children[0].transcript.counters.droppedBytes >= 512 * KiB, 'the closed one gave up at least what was needed');
      } finally {
        open.destroy();
      }
    } finally {
      m.dispose();
    }
  });

  it('framing: 12 connections each announcing a 63 MiB message cannot hold more than the global 128 MiB between them', async () => {
    const m = new SessionManager();
    const peers: net.Socket[] = [];
    try {
      const srv = await m.startTcpServer({ port: 0, mode: 'manual', framing: { kind: 'length', size: 4, endian: 'be' } });
      srv.onDidReceiveMessage(() => undefined);
      let peak = 0;
      const body = Buffer.alloc(16 * MiB, 0x42);
      for (let i = 0; i < 12; i++) {
        const s = net.connect({ port: srv.localPort!, host: '127.0.0.1' });
        s.on('error', () => undefined); // the server closes some of them
        peers.push(s);
        const head = Buffer.alloc(4);
        head.writeUInt32BE(63 * MiB);
        await new Promise<void>((r) => { s.write(head); s.write(body, () => r()); });
        await until(() => srv.children.length === i + 1 && (srv.children[i].transcript.counters.bytesIn === 4 + 16 * MiB || !srv.children[i].isAlive), `connection ${i}`, 10_000, 1);
        peak = Math.max(peak, m.budgets.framing.heldBytes);
      }
      const refused = srv.children.filter((c) => c.error?.code === 'EFRAMEBUDGET');
      assert.ok(refused.length >= 4, `${refused.length} connections closed for the budget (192 MiB announced, 128 MiB allowed)`);
      assert.match(refused[0].error!.message, /reassembly budget/);
      assert.ok(peak <= 128 * MiB, `framing held ${peak} bytes`);
      // a refused connection gives its bytes back, and the rest still hold theirs
      const holding = srv.children.filter((c) => c.isAlive).length;
      assert.equal(m.budgets.framing.heldBytes, holding * (4 + 16 * MiB)); // each holds its header and body
      for (const p of peers) p.resetAndDestroy();
      await until(() => srv.children.every((c) => !c.isAlive), 'all closed', 10_000, 1);
      assert.equal(m.budgets.framing.heldBytes, 0, 'closed connections give everything back');
    } finally {
      for (const p of peers) p.destroy();
      m.dispose();
    }
  });

  it('CLI `listen --mode sink` left running: 2,000 more clients × 256 KiB do not grow its memory', async function () {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'esbuild.js')], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'listen', 'tcp', '127.0.0.1:0', '--mode', 'sink'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      await until(() => /listening on \S+:(\d+)\n/.test(out), 'listening', 10_000, 1);
      const port = Number(/listening on \S+:(\d+)\n/.exec(out)![1]);
      // warm up until V8's heap has grown to its working size (it plateaus near 140 MiB here)
      await clients(port, 1000, 256 * KiB);
      const before = rssKiB(child.pid!);
      await clients(port, 2000, 256 * KiB);
      await sleep(200);
      const after = rssKiB(child.pid!);
      console.log(`      [figure] cli-listen-sink: clients=1000+2000 rssBeforeMiB=${(before / 1024).toFixed(0)} rssAfterMiB=${(after / 1024).toFixed(0)}`);
      // before the fix each closed connection kept its 256 KiB ring: +500 MiB over these 2,000
      assert.ok(after - before < 64 * 1024, `RSS grew from ${before} to ${after} KiB`);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
