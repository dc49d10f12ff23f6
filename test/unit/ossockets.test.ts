import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseLsof } from '../../src/core/ossockets/lsof';
import { parseNetstatAno, parseTasklistCsv } from '../../src/core/ossockets/netstat';
import {
  decodeHexAddress,
  parsePpidFromStat,
  parseProcNetInet,
  parseProcNetUnix,
  socketInodeFromLink,
  tcpStateName,
} from '../../src/core/ossockets/procNet';
import { descendantsOf, readProcess } from '../../src/core/ossockets/procProcesses';
import { filterSockets, findListeners, parseStateFilter, readListenersOn, readSocketTable, readSocketTableShared } from '../../src/core/ossockets/socketTable';
import { parseFilterText } from '../../src/core/ossockets/filterText';
import { parseSocketsArgs, runSocketsCommand } from '../../src/core/cli/socketsCommand';
import { captureArgs, connectableHost, describeSocket } from '../../src/core/ossockets/socketText';
import { formatBytes } from '../../src/shared/format';
import { parseSsTcpInfo } from '../../src/core/ossockets/ssInfo';
import type { OsSocket } from '../../src/core/ossockets/types';
import { repoRoot } from './helpers';
import { eventually } from '../support';

const fixture = (name: string) => fs.readFileSync(path.join(repoRoot, 'test/fixtures/ossockets', name), 'utf8');
const isLinux = process.platform === 'linux';


const listen = (srv: net.Server, port: number, host: string) =>
  new Promise<number>((r) => srv.listen(port, host, () => r((srv.address() as net.AddressInfo).port)));

describe('ossockets: /proc/net parsers on captured fixtures', () => {
  it('decodes IPv4 and IPv6 addresses in host byte order', () => {
    assert.equal(decodeHexAddress('0100007F'), '127.0.0.1');
    assert.equal(decodeHexAddress('020200C0'), '192.0.2.2');
    assert.equal(decodeHexAddress('0100007F', 'BE'), '1.0.0.127');
    assert.equal(decodeHexAddress('00000000000000000000000001000000'), '::1');
    assert.equal(decodeHexAddress('00000000000000000000000000000000'), '::');
    assert.equal(decodeHexAddress('0000000000000000FFFF00000100007F'), '::ffff:127.0.0.1');
    // fe80::1 stored as four little-endian words
    assert.equal(decodeHexAddress('000080FE000000000000000001000000'), 'fe80::1');
    // RFC 5952: the longest run of ≥ 2 zero groups (the first of equal runs) is `::`; a lone zero group stays
    assert.equal(decodeHexAddress('20010DB8000000000001000000000001', 'BE'), '2001:db8::1:0:0:1');
    assert.equal(decodeHexAddress('00010000000200000003000000040000', 'BE'), '1:0:2:0:3:0:4:0');
  });

  it('names every TCP state code', () => {
    const names = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(tcpStateName);
    assert.deepEqual(names, [
      'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING',
    ]);
    assert.equal(tcpStateName(0x42), 'UNKNOWN');
  });

  it('parses /proc/net/tcp: listener, established pair, TIME_WAIT with inode 0', () => {
    const rows = parseProcNetInet(fixture('proc-net-tcp.txt'), 'tcp', 4);
    assert.equal(rows.length, 6);
    const listener = rows.find((r) => r.inode === 22263)!;
    assert.deepEqual(
      [listener.localAddress, listener.localPort, listener.state, listener.remoteAddress, listener.remotePort],
      ['127.0.0.1', 47001, 'LISTEN', '0.0.0.0', 0],
    );
    const wildcard = rows.find((r) => r.inode === 1674)!;
    assert.deepEqual([wildcard.localAddress, wildcard.localPort], ['0.0.0.0', 2024]);
    const tw = rows.find((r) => r.state === 'TIME_WAIT')!;
    assert.deepEqual([tw.localPort, tw.remotePort, tw.inode], [46185, 45054, 0]);
    const client = rows.find((r) => r.inode === 22267)!;
    const accepted = rows.find((r) => r.inode === 22268)!;
    assert.equal(client.state, 'ESTABLISHED');
    assert.equal(client.remotePort, 47001);
    assert.equal(accepted.remotePort, client.localPort);
    assert.equal(rows.find((r) => r.inode === 21926)!.remoteAddress, '203.0.113.80');
  });

  it('parses tx/rx queues and skips torn lines', () => {
    const text = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
      '   0: 0100007F:1F40 0100007F:C350 01 0000000A:00000400 00:00000000 00000000  1000        0 777 1 0\n' +
      '   1: 0100007F:1F4\n';
    const [row, ...rest] = parseProcNetInet(text, 'tcp', 4);
    assert.equal(rest.length, 0);
    assert.deepEqual([row.localPort, row.remotePort, row.txQueue, row.rxQueue, row.uid, row.inode], [8000, 50000, 10, 1024, 1000, 777]);
  });

  it('parses /proc/net/tcp6 and udp/udp6', () => {
    const tcp6 = parseProcNetInet(fixture('proc-net-tcp6.txt'), 'tcp', 6);
    assert.deepEqual(tcp6.map((r) => [r.localAddress, r.localPort, r.state]), [['::1', 47002, 'LISTEN'], ['::1', 51286, 'TIME_WAIT']]);
    const udp = parseProcNetInet(fixture('proc-net-udp.txt'), 'udp', 4);
    assert.deepEqual(udp.map((r) => [r.localAddress, r.localPort, r.state, r.inode]), [['127.0.0.1', 47003, 'UNCONN', 22265]]);
    const udp6 = parseProcNetInet(fixture('proc-net-udp6.txt'), 'udp', 6);
    assert.deepEqual(udp6.map((r) => [r.localAddress, r.localPort, r.family]), [['::1', 47004, 6]]);
  });

  it('parses /proc/net/unix: a listening path and connected anonymous sockets', () => {
    const rows = parseProcNetUnix(fixture('proc-net-unix.txt'));
    assert.equal(rows.length, 5);
    assert.deepEqual([rows[0].path, rows[0].state, rows[0].unixType, rows[0].inode], ['/tmp/g-fixture.sock', 'LISTEN', 'stream', 22262]);
    assert.equal(rows[1].state, 'CONNECTED');
    assert.equal(rows[1].path, undefined);
  });

  it('reads fd links and stat lines', () => {
    assert.equal(socketInodeFromLink('socket:[22263]'), 22263);
    assert.equal(socketInodeFromLink('/dev/null'), undefined);
    assert.equal(socketInodeFromLink('pipe:[5]'), undefined);
    assert.equal(parsePpidFromStat('42 (a) b) (c) S 7 42 1 0'), 7);
    assert.equal(parsePpidFromStat('garbage'), undefined);
  });

  it('finds descendants through parent links', () => {
    const procs = [
      { pid: 1, ppid: 0 }, { pid: 10, ppid: 1 }, { pid: 11, ppid: 10 }, { pid: 12, ppid: 11 }, { pid: 20, ppid: 1 },
    ].map((p) => ({ ...p, command: '', cmdline: '' }));
    assert.deepEqual([...descendantsOf(10, procs)].sort((a, b) => a - b), [10, 11, 12]);
    assert.deepEqual([...descendantsOf(20, procs)], [20]);
  });

  it('parses ss -tinHe byte counters keyed by inode', () => {
    const m = parseSsTcpInfo(
      'ESTAB 0 0 127.0.0.1:45054 127.0.0.1:46185 ino:20511 sk:1 cgroup:/ <->\n\t ts sack cubic bytes_sent:11 bytes_acked:12 segs_out:3\n' +
        'ESTAB 0 0 127.0.0.1:46185 127.0.0.1:45054 ino:20512 sk:2 <->\n\t ts sack bytes_received:11 segs_in:3\n' +
        'TIME-WAIT 0 0 127.0.0.1:1 127.0.0.1:2 ino:0 sk:3\n\t ts\n',
    );
    assert.deepEqual(m.get(20511), { sent: 11, received: 0 });
    assert.deepEqual(m.get(20512), { sent: 0, received: 11 });
    assert.equal(m.size, 2);
  });
});

describe('ossockets: lsof and netstat parsers on captured text', () => {
  it('parses lsof -nP -i from Linux (escaped command names included)', () => {
    const rows = parseLsof(fixture('lsof-linux.txt'));
    assert.equal(rows.length, 7);
    assert.equal(rows[0].command, 'npm in');
    const l6 = rows.find((r) => r.localPort === 47002)!;
    assert.deepEqual([l6.family, l6.localAddress, l6.state, l6.pid], [6, '::1', 'LISTEN', 13661]);
    const udp = rows.find((r) => r.localPort === 47003)!;
    assert.deepEqual([udp.protocol, udp.state], ['udp', 'UNCONN']);
    const est = rows.find((r) => r.localPort === 42858)!;
    assert.deepEqual([est.remoteAddress, est.remotePort, est.state], ['127.0.0.1', 47001, 'ESTABLISHED']);
  });

  it('parses lsof from macOS: wildcard listeners, CLOSE_WAIT, FIN_WAIT_1, connected UDP', () => {
    const rows = parseLsof(fixture('lsof-macos.txt'));
    assert.equal(rows.length, 9);
    const star = rows.find((r) => r.pid === 512 && r.family === 4)!;
    assert.deepEqual([star.localAddress, star.localPort, star.state], ['0.0.0.0', 49152, 'LISTEN']);
    assert.equal(rows.find((r) => r.pid === 512 && r.family === 6)!.localAddress, '::');
    assert.equal(rows.find((r) => r.pid === 4243)!.state, 'CLOSE_WAIT');
    const fw = rows.find((r) => r.pid === 999)!;
    assert.deepEqual([fw.command, fw.state, fw.remoteAddress, fw.remotePort], ['Google ', 'FIN_WAIT1', '::1', 52000]);
    const cu = rows.find((r) => r.localAddress === 'fe80::1')!;
    assert.deepEqual([cu.state, cu.remoteAddress], ['ESTABLISHED', 'fe80::2']);
    assert.equal(rows.find((r) => r.pid === 157)!.localPort, 0);
  });

  it('parses Windows netstat -ano and tasklist', () => {
    const rows = parseNetstatAno(fixture('netstat-windows.txt'));
    assert.equal(rows.length, 10);
    assert.deepEqual(rows.map((r) => r.state), [
      'LISTEN', 'LISTEN', 'ESTABLISHED', 'ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT', 'LISTEN', 'FIN_WAIT2', 'UNCONN', 'UNCONN',
    ]);
    assert.deepEqual([rows[6].localAddress, rows[6].family], ['::', 6]);
    assert.deepEqual([rows[9].localAddress, rows[9].localPort, rows[9].pid], ['fe80::1c2a:3bff:fe4d:5e6f', 1900, 999]);
    assert.equal(rows[8].pid, 4321);
    const names = parseTasklistCsv(fixture('tasklist-windows.txt'));
    assert.equal(names.get(5678), 'python.exe');
    assert.equal(names.get(0), 'System Idle Process');
    assert.equal(names.size, 4);
  });

  it('accepts state filters in any spelling and rejects unknown ones', () => {
    assert.equal(parseStateFilter('listen'), 'LISTEN');
    assert.equal(parseStateFilter('time-wait'), 'TIME_WAIT');
    assert.equal(parseStateFilter('FIN_WAIT_1'), 'FIN_WAIT1');
    assert.equal(parseStateFilter('estab'), 'ESTABLISHED');
    assert.equal(parseStateFilter('sleepy'), undefined);
    const table = { sockets: parseNetstatAno(fixture('netstat-windows.txt')), processes: new Map() };
    assert.throws(() => filterSockets(table, { state: 'sleepy' }), /unknown socket state/);
    assert.equal(filterSockets(table, { state: 'listening' }).length, 3);
    assert.equal(filterSockets(table, { port: 8000 }).length, 4);
  });
});

describe('ossockets: live sockets on this machine', function () {
  const cleanups: (() => void)[] = [];
  before(function () {
    if (!isLinux) this.skip();
  });
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  const mine = async (pred: (s: OsSocket) => boolean) => {
    const t = await readSocketTable();
    return t.sockets.find(pred);
  };

  it('sees a listening socket, owned by this process', async () => {
    const srv = net.createServer();
    cleanups.push(() => srv.close());
    const port = await listen(srv, 0, '127.0.0.1');
    const s = await eventually(() => mine((x) => x.protocol === 'tcp' && x.localPort === port && x.state === 'LISTEN'), 'LISTEN', 8000);
    assert.equal(s.localAddress, '127.0.0.1');
    assert.equal(s.pid, process.pid);
    assert.ok(s.inode > 0);
    const self = await readProcess('/proc', process.pid);
    assert.equal(s.command, self!.command);
    assert.match(s.cmdline ?? '', /node|tsx|mocha/);
    const found = await findListeners(port);
    assert.deepEqual(found.map((f) => f.pid), [process.pid]);
    assert.deepEqual(await findListeners(port, 'udp'), []);
  });

  it('sees an established pair with unread bytes in the receive queue', async () => {
    const accepted: net.Socket[] = [];
    // pauseOnConnect leaves the bytes in the kernel, so rx_queue shows them
    const srv = net.createServer({ pauseOnConnect: true }, (c) => accepted.push(c));
    const port = await listen(srv, 0, '::1');
    const client = net.connect(port, '::1');
    cleanups.push(() => {
      client.destroy();
      accepted.forEach((c) => c.destroy());
      srv.close();
    });
    await new Promise((r) => client.once('connect', r));
    client.write(Buffer.alloc(1000, 0x61));
    const cport = client.localPort!;
    const server = await eventually(() =>
      mine((x) => x.localPort === port && x.remotePort === cport && x.rxQueue === 1000), 'server side with 1000 unread bytes', 8000);
    assert.deepEqual([server.state, server.family, server.localAddress, server.pid], ['ESTABLISHED', 6, '::1', process.pid]);
    const clientSide = (await mine((x) => x.localPort === cport && x.remotePort === port))!;
    assert.equal(clientSide.state, 'ESTABLISHED');
    assert.equal(clientSide.txQueue, 0);
  });

  it('sees TIME_WAIT on the side that closed first, with no owner', async () => {
    const srv = net.createServer((c) => c.on('end', () => c.end()));
    cleanups.push(() => srv.close());
    const port = await listen(srv, 0, '127.0.0.1');
    const client = net.connect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    const cport = client.localPort!;
    client.end(); // active close: this side will sit in TIME_WAIT
    await new Promise((r) => client.once('close', r));
    const tw = await eventually(() => mine((x) => x.localPort === cport && x.remotePort === port && x.state === 'TIME_WAIT'), 'TIME_WAIT', 8000);
    assert.equal(tw.inode, 0);
    assert.equal(tw.pid, undefined);
  });

  it('sees CLOSE_WAIT on the side that has not closed after the peer did, FIN_WAIT2 on the other', async () => {
    const srv = net.createServer((c) => {
      c.end();
      cleanups.push(() => c.destroy());
    });
    const port = await listen(srv, 0, '127.0.0.1');
    const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    cleanups.push(() => {
      client.destroy();
      srv.close();
    });
    client.on('data', () => undefined);
    await new Promise((r) => client.once('end', r));
    const cport = client.localPort!;
    const cw = await eventually(() => mine((x) => x.localPort === cport && x.state === 'CLOSE_WAIT'), 'CLOSE_WAIT', 8000);
    assert.equal(cw.pid, process.pid);
    await eventually(() => mine((x) => x.localPort === port && x.remotePort === cport && x.state === 'FIN_WAIT2'), 'FIN_WAIT2', 8000);
  });

  it('sees UDP and Unix sockets', async () => {
    const u = dgram.createSocket('udp4');
    const sockPath = path.join(os.tmpdir(), `sl-g-${process.pid}.sock`);
    const us = net.createServer();
    cleanups.push(() => {
      u.close();
      us.close();
    });
    await new Promise<void>((r) => u.bind(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => us.listen(sockPath, () => r()));
    const uport = u.address().port;
    const udp = await eventually(() => mine((x) => x.protocol === 'udp' && x.localPort === uport), 'udp', 8000);
    assert.deepEqual([udp.state, udp.pid], ['UNCONN', process.pid]);
    assert.deepEqual((await findListeners(uport, 'udp')).map((s) => s.pid), [process.pid]);
    const ux = await eventually(() => mine((x) => x.protocol === 'unix' && x.path === sockPath), 'unix', 8000);
    assert.deepEqual([ux.state, ux.pid], ['LISTEN', process.pid]);
  });

  it('listeners on the ports asked for, with owners; a new listener on the same port gets its own owner', async () => {
    const py = (port: number) => {
      const child = spawn('python3', ['-c', `import socket,time\ns=socket.socket();s.bind(("127.0.0.1",${port}));s.listen();print("up",flush=True);time.sleep(30)`], { stdio: ['ignore', 'pipe', 'inherit'] });
      cleanups.push(() => child.kill('SIGKILL'));
      return new Promise<ChildProcess>((resolve) => child.stdout!.once('data', () => resolve(child)));
    };
    const probe = net.createServer();
    const port = await listen(probe, 0, '127.0.0.1');
    await new Promise((r) => probe.close(r));
    const u = dgram.createSocket('udp4');
    cleanups.push(() => u.close());
    await new Promise<void>((r) => u.bind(0, '127.0.0.1', r));
    const udpPort = u.address().port;
    assert.deepEqual(await readListenersOn(new Set()), []);
    assert.deepEqual(await readListenersOn(new Set([`tcp:${port}`])), [], 'nothing listens yet');
    const first = await py(port);
    const a = await readListenersOn(new Set([`tcp:${port}`, `udp:${udpPort}`, 'tcp:1']));
    assert.deepEqual(a.map((s) => [s.protocol, s.localPort, s.pid]).sort(), [['tcp', port, first.pid], ['udp', udpPort, process.pid]].sort());
    assert.equal(a.find((s) => s.protocol === 'tcp')!.command, 'python3');
    first.kill('SIGKILL');
    await eventually(async () => ((await readListenersOn(new Set([`tcp:${port}`]))).length === 0 ? true : undefined), 'the first listener gone', 8000);
    const second = await py(port);
    const b = await readListenersOn(new Set([`tcp:${port}`]));
    assert.deepEqual(b.map((s) => s.pid), [second.pid]);
  });

  it('shares one read between callers close in time, and reads again later', async () => {
    const a = readSocketTableShared({ unix: false }, 200);
    const b = readSocketTableShared({ unix: false }, 200);
    assert.equal(a, b);
    assert.notEqual(readSocketTableShared({ unix: true }, 200), a, 'different options are different reads');
    await a;
    await new Promise((r) => setTimeout(r, 250));
    const c = readSocketTableShared({ unix: false }, 200);
    assert.notEqual(c, a);
    // the fresh read sees a socket opened after the first one
    const srv = net.createServer();
    cleanups.push(() => srv.close());
    const port = await listen(srv, 0, '127.0.0.1');
    await c;
    await new Promise((r) => setTimeout(r, 250));
    const d = await readSocketTableShared({ unix: false }, 200);
    assert.ok(d.sockets.some((s) => s.localPort === port && s.state === 'LISTEN'));
    assert.ok(!(await a).sockets.some((s) => s.localPort === port));
  });

  it('filters by pid including child processes, by port and by state', async () => {
    const child: ChildProcess = spawn(process.execPath, [
      '-e',
      "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port))",
    ]);
    cleanups.push(() => child.kill());
    const port = await new Promise<number>((r) => child.stdout!.once('data', (d: Buffer) => r(Number(String(d).trim()))));
    const table = await eventually(async () => {
      const t = await readSocketTable();
      return t.sockets.some((s) => s.localPort === port && s.pid === child.pid) ? t : undefined;
    }, 'child listener', 8000);
    const ofParent = filterSockets(table, { pid: process.pid, port });
    assert.deepEqual(ofParent.map((s) => [s.pid, s.state]), [[child.pid, 'LISTEN']]);
    assert.equal(filterSockets(table, { pid: child.pid, state: 'established', port }).length, 0);
    assert.equal(filterSockets(table, { pid: 999999999, port }).length, 0);
  });
});

describe('socket-lab sockets (CLI)', () => {
  it('parses flags and rejects bad ones with one line', () => {
    assert.deepEqual(parseSocketsArgs(['--pid', '12', '--port=8000', '--state', 'listen', '--json']), {
      filter: { pid: 12, port: 8000, state: 'listen' },
      json: true,
    });
    assert.equal(parseSocketsArgs(['--help']), 'help');
    assert.match((parseSocketsArgs(['--port', '70000']) as { error: string }).error, /0 to 65535/);
    assert.match((parseSocketsArgs(['--state', 'nap']) as { error: string }).error, /unknown state "nap"/);
    assert.match((parseSocketsArgs(['--bogus']) as { error: string }).error, /unknown option/);
  });

  it('prints a live listener as JSON and as a table', async function () {
    if (!isLinux) this.skip();
    const srv = net.createServer();
    const port = await listen(srv, 0, '127.0.0.1');
    try {
      let out = '';
      const io = { out: (s: string) => (out += s), err: () => undefined };
      assert.equal(await runSocketsCommand(['--port', String(port), '--state', 'LISTEN', '--json'], io), 0);
      const rows = JSON.parse(out) as OsSocket[];
      assert.deepEqual(rows.map((r) => [r.localPort, r.state, r.pid]), [[port, 'LISTEN', process.pid]]);
      out = '';
      assert.equal(await runSocketsCommand(['--port', String(port)], io), 0);
      const lines = out.trim().split('\n');
      assert.match(lines[0], /^PROTO\s+STATE\s+LOCAL/);
      assert.match(lines[1], new RegExp(`^tcp\\s+LISTEN\\s+127\\.0\\.0\\.1:${port}\\s`));
      let err = '';
      assert.equal(await runSocketsCommand(['--port'], { out: () => undefined, err: (s) => (err += s) }), 2);
      assert.match(err, /--port needs a number/);
    } finally {
      srv.close();
    }
  });
});

describe('socket text helpers', () => {
  it('maps wildcard listeners to a loopback address a client can reach', () => {
    assert.equal(connectableHost('0.0.0.0'), '127.0.0.1');
    assert.equal(connectableHost(''), '127.0.0.1');
    assert.equal(connectableHost('::'), '::1');
    assert.equal(connectableHost('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(connectableHost('192.0.2.7'), '192.0.2.7');
  });
  it('captures loopback ports on the loopback interface of each OS', () => {
    assert.deepEqual(captureArgs(8000, 'tcp', '127.0.0.1', 'linux'), { filter: 'tcp port 8000', interface: 'lo' });
    assert.deepEqual(captureArgs(53, 'udp', '0.0.0.0', 'darwin'), { filter: 'udp port 53', interface: 'lo0' });
    assert.deepEqual(captureArgs(8000, 'tcp', '192.0.2.7', 'linux'), { filter: 'tcp port 8000' });
    assert.deepEqual(captureArgs(8000, 'tcp', '::1', 'win32'), { filter: 'tcp port 8000' });
  });
  it('formats bytes and one-line descriptions', () => {
    assert.equal(formatBytes(20), '20 B');
    assert.equal(formatBytes(2048), '2.0 KiB');
    assert.equal(formatBytes(3 * 1024 * 1024), '3.0 MiB');
    const [est] = parseLsof(fixture('lsof-macos.txt')).filter((r) => r.pid === 4242 && r.state === 'ESTABLISHED');
    assert.equal(describeSocket(est), 'tcp 127.0.0.1:8000 -> 127.0.0.1:53122 ESTABLISHED pid 4242 Python');
  });
});

describe('System Sockets filter text', () => {
  it('reads port, state, pid and protocol in any order', () => {
    assert.deepEqual(parseFilterText('tcp port 8000'), { protocol: 'tcp', port: 8000 });
    assert.deepEqual(parseFilterText('state time_wait, pid 42'), { state: 'time_wait', pid: 42 });
    assert.deepEqual(parseFilterText('8000 listen'), { port: 8000, state: 'listen' });
    assert.deepEqual(parseFilterText('  '), {});
  });
  it('says what it did not understand', () => {
    assert.match((parseFilterText('port x') as { error: string }).error, /needs a number/);
    assert.match((parseFilterText('state nap') as { error: string }).error, /unknown state/);
    assert.match((parseFilterText('banana') as { error: string }).error, /not understood: "banana"/);
  });
});
