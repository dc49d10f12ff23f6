// The socket-call recorder's cost (issue 19): a Python program's send/recv loops run plain and traced in the same
// run, with Socket Lab reading the records as `socket-lab trace` does. Figures: time ratio traced/plain, records
// delivered and dropped. SOCKET_LAB_BENCH_TRACE_SENDS sets the tiny-send count (default 1,000,000).
import { spawn } from 'node:child_process';
import { TraceCollector } from '../src/core/trace/callTrace';

const sends = Number(process.env.SOCKET_LAB_BENCH_TRACE_SENDS ?? 1_000_000);
const rounds = 20_000;

const programs: Record<string, string> = {
  [`${sends.toLocaleString('en')} tiny UDP sends`]: [
    'import socket',
    'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    'sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sink.bind(("127.0.0.1", 0)); addr = sink.getsockname()',
    `for i in range(${sends}):`,
    '    u.sendto(b"x", addr)',
  ].join('\n'),
  [`${rounds.toLocaleString('en')} TCP send/recv round trips`]: [
    'import socket',
    'a, b = socket.socketpair()',
    `for i in range(${rounds}):`,
    '    a.sendall(b"ping")',
    '    b.recv(16)',
    '    b.sendall(b"pong")',
    '    a.recv(16)',
  ].join('\n'),
};

async function run(code: string, traced: boolean): Promise<{ ms: number; delivered: number; dropped: number }> {
  const t = await TraceCollector.start(process.env);
  const started = process.hrtime.bigint();
  const child = spawn('python3', ['-c', code], { env: traced ? t.env : process.env, stdio: ['ignore', 'inherit', 'inherit'] });
  let delivered = 0;
  let dropped = 0;
  t.onRecords((rs) => {
    for (const r of rs) {
      if (r.call === 'dropped') dropped += r.count ?? 0;
      else delivered++;
    }
  });
  await new Promise((r) => child.on('exit', r));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await t.drained();
  t.dispose();
  return { ms, delivered, dropped };
}

void (async () => {
  for (const [name, code] of Object.entries(programs)) {
    const plain = await run(code, false);
    const traced = await run(code, true);
    console.log(`${name}: plain ${(plain.ms / 1000).toFixed(2)} s, traced ${(traced.ms / 1000).toFixed(2)} s — ×${(traced.ms / plain.ms).toFixed(2)}; records delivered ${traced.delivered.toLocaleString('en')}, dropped (counted) ${traced.dropped.toLocaleString('en')}`);
  }
})();
