// Wire scripts against plain Node, measured in the same run: steps per second of a 10,000-step send/expect script
// (5,000 exchanges) against a Socket Lab echo server, as a ratio to a plain net.Socket client doing the same exchanges.
// Loopback only, bounded in steps and time.
import * as net from 'node:net';
import { SessionManager } from '../src/core/sessions/sessionManager';
import { parseWire } from '../src/core/wire/wireParser';
import { runClientBlock } from '../src/core/wire/wireRunner';

const STEPS = Number(process.env.WIRE_BENCH_STEPS ?? 10_000);
const ROUNDS = Number(process.env.WIRE_BENCH_ROUNDS ?? 3);
const EXCHANGES = STEPS / 2;
const now = () => performance.now();

/** The message of exchange i: 16 bytes, different each time (so a stale answer cannot pass). */
const message = (i: number) => `msg ${String(i).padStart(11, '0')}\n`;

async function plainClient(port: number): Promise<number> {
  const c = net.connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise((r) => c.once('connect', r));
  let buf: Buffer = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  c.on('data', (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    wake?.();
  });
  const t0 = now();
  for (let i = 0; i < EXCHANGES; i++) {
    const want = Buffer.from(message(i));
    await new Promise<void>((resolve, reject) => c.write(want, (e) => (e ? reject(e) : resolve())));
    while (buf.length < want.length) await new Promise<void>((r) => (wake = r));
    if (!buf.subarray(0, want.length).equals(want)) throw new Error(`plain client: exchange ${i} differs`);
    buf = buf.subarray(want.length);
  }
  const ms = now() - t0;
  c.destroy();
  return ms;
}

async function wireClient(port: number): Promise<number> {
  const lines = ['connect tcp 127.0.0.1:{{port}}'];
  for (let i = 0; i < EXCHANGES; i++) {
    const m = JSON.stringify(message(i)); // the same escapes the format uses for \n
    lines.push(`send ${m}`, `expect ${m}`);
  }
  const file = parseWire(lines.join('\n'), { variables: ['port'] });
  if (file.diagnostics.length) throw new Error(file.diagnostics[0].message);
  const t0 = now();
  const r = await runClientBlock(file, file.blocks[0], { variables: new Map([['port', String(port)]]) });
  const ms = now() - t0;
  if (r.status !== 'pass') throw new Error(`wire client failed: ${JSON.stringify(r.steps.find((s) => s.status === 'fail'))}`);
  if (r.steps.length !== STEPS + 1) throw new Error(`wire client ran ${r.steps.length} steps`);
  return ms;
}

async function main(): Promise<void> {
  const m = new SessionManager({ transcriptBytes: 64 * 1024 });
  const srv = await m.startTcpServer({ port: 0, mode: 'echo' });
  const port = srv.localPort!;
  const plain: number[] = [];
  const wire: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    plain.push(await plainClient(port));
    wire.push(await wireClient(port));
  }
  m.dispose();
  const best = (xs: number[]) => Math.min(...xs);
  const perSec = (ms: number) => Math.round((STEPS / ms) * 1000);
  const ratio = best(plain) / best(wire);
  console.log(`wire script: ${STEPS} steps (${EXCHANGES} send/expect exchanges) against a Socket Lab echo server, best of ${ROUNDS}`);
  console.log(`  plain Node client: ${perSec(best(plain))} steps/s (${best(plain).toFixed(0)} ms)`);
  console.log(`  wire runner:       ${perSec(best(wire))} steps/s (${best(wire).toFixed(0)} ms)`);
  console.log(`  ratio wire / plain: ${ratio.toFixed(2)}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
