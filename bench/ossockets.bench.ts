// The OS socket table and the Python analysis, as ratios against baselines measured in the same run:
// - readSocketTable() (every /proc/net file + every process's fds) against `ss -tuanp` (iproute2, same facts);
// - analyzePython() (all rules) on a large file against the bare tree-sitter parse of that file;
// - what an open editor costs per minute: a 2,000-line non-socket Python file (the pre-filter against the parse it
//   replaces) and CodeLens's live look-up every 3 s (readListenersOn against the whole table it replaces).
import { execFileSync } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { GrammarLoader } from '../src/core/analysis/grammarLoader';
import { analyzePython } from '../src/core/analysis/pythonRules';
import { mayUseSockets } from '../src/core/analysis/socketCalls';
import { readListenersOn, readSocketTable } from '../src/core/ossockets/socketTable';

const PAIRS = 500; // loopback connections held open while the table is read (bounded)
const ROUNDS = 20;

function hasSs(): boolean {
  try {
    execFileSync('ss', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function timeIt(rounds: number, fn: () => unknown): Promise<number> {
  await fn(); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
}

async function socketTable(): Promise<void> {
  if (process.platform !== 'linux' || !hasSs()) {
    console.log('socket table bench skipped: needs Linux with iproute2 (ss)');
    return;
  }
  const srv = net.createServer((c) => c.on('error', () => undefined));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  const clients: net.Socket[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => undefined);
    clients.push(c);
    await new Promise((r) => c.once('connect', r));
  }
  const table = await readSocketTable({ unix: false });
  const ours = await timeIt(ROUNDS, () => readSocketTable({ unix: false }));
  const ss = await timeIt(ROUNDS, () => execFileSync('ss', ['-tuanpH'], { maxBuffer: 64 << 20 }));
  const withBytes = await timeIt(ROUNDS, () => readSocketTable({ unix: false, bytes: true }));
  console.log(`sockets in table: ${table.sockets.length} (with ${PAIRS} loopback pairs open), processes: ${table.processes.size}`);
  console.log(`readSocketTable: ${ours.toFixed(1)} ms per read = ${(ours / ss).toFixed(2)}× \`ss -tuanp\` (${ss.toFixed(1)} ms)`);
  console.log(`readSocketTable with byte counters (ss -tin): ${withBytes.toFixed(1)} ms = ${(withBytes / ss).toFixed(2)}× \`ss -tuanp\``);
  // CodeLens polls every 3 s (20 times a minute) for the ports shown in the editor: CPU time per minute
  const wanted = new Set([`tcp:${port}`, 'tcp:9000', 'udp:9999']);
  const cpuPerMinute = async (fn: () => Promise<unknown>) => {
    await fn();
    const t0 = process.cpuUsage();
    for (let i = 0; i < 20; i++) await fn();
    const d = process.cpuUsage(t0);
    return (d.user + d.system) / 1000;
  };
  const before = await cpuPerMinute(() => readSocketTable({ unix: false, bytes: true }));
  const after = await cpuPerMinute(() => readListenersOn(wanted));
  console.log(`CodeLens live look-up, CPU per minute of an open editor: ${after.toFixed(1)} ms (readListenersOn) vs ${before.toFixed(1)} ms (whole table with ss -ti, before) = ${(after / before).toFixed(3)}×`);
  for (const c of clients) c.destroy();
  srv.close();
}

async function analysis(): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const loader = new GrammarLoader((f) => {
    const pkg = f === 'tree-sitter.wasm' ? 'web-tree-sitter' : f.replace(/\.wasm$/, '');
    return path.join(root, 'node_modules', pkg, f);
  });
  const unit = [
    'import socket, struct, json, hmac, os',
    'def serve_{i}(port):',
    '    s = socket.socket()',
    '    s.bind(("0.0.0.0", port))',
    '    s.listen()',
    '    conn, _ = s.accept()',
    '    while True:',
    '        data = conn.recv(1024)',
    '        conn.send("ok")',
    "        hdr = struct.pack('iH', 1, 2)",
    '        msg = json.loads(conn.recv(10))',
    '        os.system("uptime")',
    '',
  ].join('\n');
  // every rule runs in full: sockets, a parse, a struct, a sink on a server bound to 0.0.0.0
  const text = Array.from({ length: 200 }, (_, i) => unit.replace('{i}', String(i))).join('\n'); // ~2,600 lines
  const parser = await loader.parser('python');
  const parse = await timeIt(ROUNDS, () => parser.parse(text)!.delete());
  const full = await timeIt(ROUNDS, async () => {
    const t = await loader.parse('python', text);
    analyzePython(t, text);
    t.delete();
  });
  const lines = text.split('\n').length;
  console.log(`analyzePython on ${lines} lines: ${full.toFixed(1)} ms = ${(full / parse).toFixed(2)}× the bare tree-sitter parse (${parse.toFixed(1)} ms)`);
  // a 2,000-line Python file with no socket in it: each edit cost a parse (CodeLens) and a parse + rules (diagnostics)
  const plain = Array.from({ length: 1000 }, (_, i) => `def f${i}(xs):\n    return [x * ${i} for x in xs if x % 3]`).join('\n');
  const oldCost = await timeIt(ROUNDS, async () => {
    parser.parse(plain)!.delete();
    const t = await loader.parse('python', plain);
    analyzePython(t, plain);
    t.delete();
  });
  const newCost = await timeIt(ROUNDS, () => mayUseSockets(plain) && mayUseSockets(plain));
  console.log(`a 2,000-line non-socket Python file, per edit: ${newCost.toFixed(3)} ms with the pre-filter vs ${oldCost.toFixed(1)} ms parsing it twice before = ${(newCost / oldCost).toFixed(4)}×`);
  loader.dispose();
}

(async () => {
  await socketTable();
  await analysis();
})().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
