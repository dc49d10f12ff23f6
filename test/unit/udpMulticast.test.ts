// UDP multicast and broadcast between two network namespaces the test makes (a veth pair, multicast routes), never
// beyond the machine: Socket Lab UDP sessions in each namespace (test/fixtures/multicast/udpPeer.ts).
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from '../support';

const peer = path.join(repoRoot, 'test', 'fixtures', 'multicast', 'udpPeer.ts');
const tag = `${process.pid % 100000}`;
const A = `slmcA${tag}`;
const B = `slmcB${tag}`;
const ip = (...args: string[]) => spawnSync('ip', args, { encoding: 'utf8' });
type Line = { ready?: boolean; port?: number; groups?: string[]; got?: string; from?: string; error?: { code: string; message: string }; sent?: boolean };

/** Runs udpPeer.ts in namespace `ns`; resolves with it once it printed its first line. */
function start(ns: string, mode: 'receive' | 'send', opts: object): { proc: ChildProcess; lines: Line[]; first: Promise<Line>; ended: Promise<void> } {
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', peer, mode, JSON.stringify(opts)], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Line[] = [];
  let buf = '';
  let resolveFirst: (l: Line) => void;
  const first = new Promise<Line>((r) => (resolveFirst = r));
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const l = JSON.parse(buf.slice(0, nl)) as Line;
      buf = buf.slice(nl + 1);
      if (lines.push(l) === 1) resolveFirst(l);
    }
  });
  const ended = new Promise<void>((r) => proc.on('exit', () => r()));
  return { proc, lines, first, ended };
}

async function receivedBy(r: { lines: Line[] }, n: number, ms = 5000): Promise<Line[]> {
  const end = Date.now() + ms;
  while (Date.now() < end && r.lines.filter((l) => l.got !== undefined).length < n) await new Promise((res) => setTimeout(res, 25));
  return r.lines.filter((l) => l.got !== undefined);
}

describe('UDP multicast and broadcast between two namespaces', function () {
  this.timeout(60_000);
  const running: ChildProcess[] = [];

  before(function () {
    // root only (veth pairs and namespaces); elsewhere skipped with the reason
    const steps: string[][] = [
      ['netns', 'add', A],
      ['netns', 'add', B],
      ['link', 'add', 'slA', 'netns', A, 'type', 'veth', 'peer', 'name', 'slB', 'netns', B],
      ['-n', A, 'addr', 'add', '10.77.0.1/24', 'brd', '10.77.0.255', 'dev', 'slA'],
      ['-n', B, 'addr', 'add', '10.77.0.2/24', 'brd', '10.77.0.255', 'dev', 'slB'],
      ['-n', A, '-6', 'addr', 'add', 'fd77::1/64', 'dev', 'slA', 'nodad'],
      ['-n', B, '-6', 'addr', 'add', 'fd77::2/64', 'dev', 'slB', 'nodad'],
      ['-n', A, 'link', 'set', 'slA', 'up'],
      ['-n', B, 'link', 'set', 'slB', 'up'],
      ['-n', A, 'link', 'set', 'lo', 'up'],
      ['-n', B, 'link', 'set', 'lo', 'up'],
      ['-n', A, 'route', 'add', '224.0.0.0/4', 'dev', 'slA'],
      ['-n', B, 'route', 'add', '224.0.0.0/4', 'dev', 'slB'],
    ];
    for (const s of steps) {
      const r = ip(...s);
      if (r.status !== 0) {
        console.log(`      skipped: ip ${s.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
        this.skip();
      }
    }
  });
  afterEach(() => {
    for (const p of running.splice(0)) p.kill();
  });
  after(() => {
    ip('netns', 'del', A);
    ip('netns', 'del', B);
  });

  async function receiver(opts: object) {
    const r = start(B, 'receive', opts);
    running.push(r.proc);
    const first = await r.first;
    assert.equal(first.error, undefined, JSON.stringify(first.error));
    return r;
  }
  async function send(opts: object): Promise<Line> {
    const s = start(A, 'send', opts);
    running.push(s.proc);
    const first = await s.first;
    await s.ended;
    return first;
  }

  it('IPv4: a receiver that joined a group gets what the other namespace sends to it; a source-specific join only its source\'s', async () => {
    const port = 47001;
    const r = await receiver({ host: '0.0.0.0', port, reuse: true, join: [{ group: '239.7.7.7', interface: '10.77.0.2' }, { group: '232.1.1.1', source: '10.77.0.1', interface: '10.77.0.2' }, { group: '232.1.1.2', source: '10.77.0.9', interface: '10.77.0.2' }] });
    assert.deepEqual(r.lines[0].groups, ['239.7.7.7', '10.77.0.1→232.1.1.1', '10.77.0.9→232.1.1.2']);
    for (const [group, text] of [['239.7.7.7', 'hello group'], ['232.1.1.1', 'from the right source'], ['232.1.1.2', 'from the wrong source']]) {
      assert.deepEqual(await send({ host: '10.77.0.1', port: 0, iface: '10.77.0.1', ttl: 1, to: group, toPort: port, text }), { sent: true });
    }
    const got = await receivedBy(r, 2);
    await new Promise((res) => setTimeout(res, 300)); // the third, had it come
    assert.deepEqual(r.lines.filter((l) => l.got !== undefined).map((l) => `${l.got} ${l.from}`), got.map((l) => `${l.got} ${l.from}`));
    assert.deepEqual(got.map((l) => l.got).sort(), ['from the right source', 'hello group']);
    assert.ok(got.every((l) => /^10\.77\.0\.1:\d+$/.test(l.from!)));
  });

  it('IPv6: a group joined on an interface given by scope (::%slB), sent with hops and the outgoing interface set', async () => {
    const port = 47002;
    const r = await receiver({ host: '::', port, reuse: true, join: [{ group: 'ff12::77', interface: '::%slB' }] });
    assert.deepEqual(await send({ host: '::', port: 0, iface: '::%slA', ttl: 1, to: 'ff12::77', toPort: port, text: 'six' }), { sent: true });
    const got = await receivedBy(r, 1);
    assert.equal(got[0]?.got, 'six');
    assert.match(got[0].from!, /^\[fe80::[0-9a-f:]+(%\w+)?\]:\d+$|^\[fd77::1\]:\d+$/);
  });

  it('broadcast: refused without SO_BROADCAST with a sentence that says how, received with it', async () => {
    const port = 47003;
    const r = await receiver({ host: '0.0.0.0', port });
    const refused = await send({ host: '10.77.0.1', port: 0, to: '10.77.0.255', toPort: port, text: 'nope' });
    assert.equal(refused.error?.code, 'EACCES_BROADCAST');
    assert.match(refused.error!.message, /needs|must turn on SO_BROADCAST/);
    assert.deepEqual(await send({ host: '10.77.0.1', port: 0, broadcast: true, to: '10.77.0.255', toPort: port, text: 'to all' }), { sent: true });
    const got = await receivedBy(r, 1);
    assert.deepEqual(got.map((l) => l.got), ['to all']);
  });

  it('a group that is not multicast, an interface that is not there: one sentence each', async () => {
    const bad = start(B, 'receive', { host: '0.0.0.0', port: 47004, join: [{ group: '10.0.0.1' }] });
    running.push(bad.proc);
    assert.equal((await bad.first).error?.code, 'EMCAST_ADDR');
    const noIface = start(B, 'receive', { host: '0.0.0.0', port: 47005, join: [{ group: '239.7.7.8', interface: '10.99.0.1' }] });
    running.push(noIface.proc);
    const e = (await noIface.first).error;
    assert.equal(e?.code, 'EMCAST_IFACE', JSON.stringify(e));
  });

  it('CLI: listen udp --join in one namespace gets what send udp --interface --ttl sends from the other; --broadcast; usage', async () => {
    const cli = (ns: string, ...args: string[]) => spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', path.join(repoRoot, 'src', 'cli.ts'), ...args], { cwd: repoRoot });
    const collect = (p: ChildProcess) => {
      const o = { out: '', err: '', code: new Promise<number | null>((r) => p.on('exit', (c) => r(c))) };
      p.stdout!.on('data', (d: Buffer) => (o.out += d.toString()));
      p.stderr!.on('data', (d: Buffer) => (o.err += d.toString()));
      return o;
    };
    const listen = collect(cli(B, 'listen', 'udp', '0.0.0.0:47010', '--join', '239.9.9.9', '--interface', '10.77.0.2', '--count', '1', '--timeout', '20'));
    const end = Date.now() + 15_000;
    while (!listen.out.includes('listening on') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    const sent = collect(cli(A, 'send', 'udp', '239.9.9.9:47010', '--text', 'hi group', '--interface', '10.77.0.1', '--ttl', '1', '--timeout', '1'));
    await sent.code;
    assert.equal(await listen.code, 0, listen.err);
    assert.match(listen.out, /hi group/);
    const refused = collect(cli(A, 'send', 'udp', '10.77.0.255:47011', '--text', 'x', '--timeout', '1'));
    assert.equal(await refused.code, 1);
    assert.match(refused.err, /must turn on SO_BROADCAST/);
    const allowed = collect(cli(A, 'send', 'udp', '10.77.0.255:47011', '--text', 'x', '--broadcast', '--timeout', '1'));
    assert.equal(await allowed.code, 0, allowed.err);
    for (const [args, says] of [[['listen', 'udp', '47012', '--join', '239.1.1.1'], /does not receive a group's datagrams/], [['listen', 'udp', '0.0.0.0:47012', '--join', '10.1.1.1'], /--join wants multicast groups/], [['send', 'udp', '239.1.1.1:9', '--text', 'x', '--join', '239.1.1.1'], /--join applies to listen udp/], [['listen', 'tcp', '0', '--broadcast'], /--broadcast applies to udp only/]] as const) {
      const bad = collect(cli(A, ...args));
      assert.equal(await bad.code, 2, args.join(' '));
      assert.match(bad.err, says);
    }
  });
});
