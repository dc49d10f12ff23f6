// WebSocket messages/s: a Socket Lab WebSocket server in echo mode against a plain `ws` server that echoes, each fed by
// the same plain `ws` client (small text messages, at most WINDOW unanswered), same run, loopback only. Goal: >= 0.8.
import { WebSocket, WebSocketServer } from 'ws';
import { SessionManager } from '../src/core/sessions/sessionManager';

const MESSAGES = Number(process.env.WS_BENCH_MESSAGES ?? 200_000);
const ROUNDS = Number(process.env.WS_BENCH_ROUNDS ?? 3);
const WINDOW = 256;
const PAYLOAD = 'x'.repeat(64);
const now = () => performance.now();

/** Sends `total` messages to `port`, keeping at most WINDOW unanswered; resolves with the ms from first send to last answer. */
async function drive(port: number, total: number): Promise<number> {
  const c = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  await new Promise((r, j) => {
    c.once('open', r);
    c.once('error', j);
  });
  let sent = 0;
  let answered = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const fill = () => {
    while (sent < total && sent - answered < WINDOW) {
      c.send(PAYLOAD);
      sent++;
    }
  };
  c.on('message', () => {
    answered++;
    if (answered === total) done();
    else if (sent - answered <= WINDOW / 2) fill();
  });
  const t0 = now();
  fill();
  await finished;
  const ms = now() - t0;
  c.terminate();
  return ms;
}

async function plainEcho(total: number): Promise<number> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => ws.on('message', (d, binary) => ws.send(d, { binary })));
  const ms = await drive((wss.address() as { port: number }).port, total);
  wss.close();
  return ms;
}

async function labEcho(total: number): Promise<number> {
  // the transcript keeps what it can (4 MiB ring per session), as in the extension
  const m = new SessionManager();
  const srv = await m.startWsServer({ port: 0, mode: 'echo' });
  const ms = await drive(srv.localPort!, total);
  m.dispose();
  return ms;
}

async function main(): Promise<void> {
  console.log(`websocket bench: echo ${MESSAGES} messages of ${PAYLOAD.length} bytes, window ${WINDOW}, best of ${ROUNDS} (node ${process.version})`);
  await plainEcho(20_000); // warm-up
  await labEcho(20_000);
  let plain = Infinity;
  let lab = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    plain = Math.min(plain, await plainEcho(MESSAGES));
    lab = Math.min(lab, await labEcho(MESSAGES));
  }
  const rate = (ms: number) => Math.round(MESSAGES / (ms / 1000));
  console.log(`websocket echo: socket lab ${rate(lab)} messages/s, plain ws ${rate(plain)} messages/s → ${(plain / lab).toFixed(2)} of plain ws (goal ≥ 0.8)`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
