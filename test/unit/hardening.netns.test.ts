// A peer in another network namespace cannot reach a default Socket Lab server (which binds 127.0.0.1),
// while a server deliberately bound to the veth address is reachable (so the test can see a positive).
// Root only: it creates a namespace and a veth pair in 10.213.77.0/30 and always deletes them.
import * as assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { SessionManager } from '../../src/core/sessions/sessionManager';

const NS = `sl-hard-${process.pid}`;
const VETH_HOST = `slh${process.pid % 100000}a`;
const VETH_NS = `slh${process.pid % 100000}b`;
const HOST_IP = '10.213.77.1';
const NS_IP = '10.213.77.2';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe', timeout: 10_000 });
}

/** Connects from inside the namespace with a real Node process; prints "connected <echo>" or the error code. */
/** Async: the servers under test run in this process, so its event loop must keep turning meanwhile. */
function connectFromNamespace(host: string, port: number): Promise<string> {
  const script = `
    const s = require('net').connect({ host: ${JSON.stringify(host)}, port: ${port} });
    const t = setTimeout(() => { console.log('ETIMEDOUT'); process.exit(0); }, 3000);
    s.on('connect', () => s.write('ping'));
    s.on('data', (b) => { console.log('connected ' + b.toString()); clearTimeout(t); s.destroy(); });
    s.on('error', (e) => { console.log(e.code); clearTimeout(t); });`;
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', NS, process.execPath, '-e', script], { encoding: 'utf8', timeout: 15_000 }, (_e, stdout, stderr) => resolve(`${stdout}${stderr}`.trim()));
  });
}

function cleanup(): void {
  for (const args of [['netns', 'del', NS], ['link', 'del', VETH_HOST]]) {
    try {
      ip(...args);
    } catch {
      // already gone
    }
  }
}

describe('hardening: network namespace isolation (root only)', function () {
  this.timeout(60_000);
  let m: SessionManager;

  before(function () {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) {
      console.log('      skipped: needs root on Linux to create a network namespace (ip netns add)');
      this.skip();
    }
    try {
      ip('netns', 'add', NS);
    } catch (e) {
      console.log(`      skipped: ip netns add failed here (${String((e as { stderr?: Buffer }).stderr ?? e).trim()})`);
      cleanup();
      this.skip();
    }
    try {
      ip('link', 'add', VETH_HOST, 'type', 'veth', 'peer', 'name', VETH_NS);
      ip('link', 'set', VETH_NS, 'netns', NS);
      ip('addr', 'add', `${HOST_IP}/30`, 'dev', VETH_HOST);
      ip('link', 'set', VETH_HOST, 'up');
      ip('netns', 'exec', NS, 'ip', 'addr', 'add', `${NS_IP}/30`, 'dev', VETH_NS);
      ip('netns', 'exec', NS, 'ip', 'link', 'set', VETH_NS, 'up');
      ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up');
    } catch (e) {
      cleanup();
      throw e;
    }
    m = new SessionManager();
  });

  after(() => {
    m?.dispose();
    cleanup();
  });

  it('a default server (127.0.0.1) is unreachable from the namespace; one bound to the veth address is reachable', async () => {
    const def = await m.startTcpServer({ port: 0, mode: 'echo' });
    assert.equal(def.localAddress, '127.0.0.1');
    // via the host's veth address: the kernel refuses (nothing listens on 10.213.77.1 at that port)
    const viaVeth = await connectFromNamespace(HOST_IP, def.localPort!);
    assert.match(viaVeth, /^(ECONNREFUSED|ETIMEDOUT)$/, `peer in the namespace got: ${viaVeth}`);
    // the namespace's own 127.0.0.1 is a different loopback
    assert.match(await connectFromNamespace('127.0.0.1', def.localPort!), /^(ECONNREFUSED|ETIMEDOUT)$/);
    assert.equal(def.children.length, 0, 'no connection ever reached the default server');

    // positive control: a server the user deliberately bound to the veth address
    const exposed = await m.startTcpServer({ host: HOST_IP, port: 0, mode: 'upper' });
    const got = await connectFromNamespace(HOST_IP, exposed.localPort!);
    assert.equal(got, 'connected PING', 'the namespace can reach a server bound to the veth address');
    assert.equal(exposed.children.length, 1);
    assert.equal(exposed.children[0].remoteAddress, NS_IP);
  });

  it('UDP: a default socket (127.0.0.1) receives nothing sent to the veth address', async () => {
    const u = await m.openUdp({ port: 0, mode: 'echo' });
    const script = `const s = require('dgram').createSocket('udp4'); s.send('x', ${u.localPort}, ${JSON.stringify(HOST_IP)}, () => setTimeout(() => s.close(), 200));`;
    spawnSync('ip', ['netns', 'exec', NS, process.execPath, '-e', script], { timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(u.transcript.counters.chunksIn, 0);
    // positive control: bound to the veth address, the datagram arrives
    const v = await m.openUdp({ host: HOST_IP, port: 0, mode: 'sink' });
    const script2 = `const s = require('dgram').createSocket('udp4'); s.send('x', ${v.localPort}, ${JSON.stringify(HOST_IP)}, () => setTimeout(() => s.close(), 200));`;
    spawnSync('ip', ['netns', 'exec', NS, process.execPath, '-e', script2], { timeout: 15_000 });
    const deadline = Date.now() + 3000;
    while (v.transcript.counters.chunksIn === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(v.transcript.counters.chunksIn, 1);
  });
});
