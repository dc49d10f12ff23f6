// Check My Solution: every exercise's checker passes the lesson as shipped (exercise 0) or the reference solution
// (solutions/<id>/, laid over a copy of the lesson), and fails the lesson as shipped for the other exercises, with
// evidence; a copy with one realistic mistake fails exercise 0, and so does each known wrong solution of an exercise.
// Real programs, real sockets on 127.0.0.1.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadLessonCatalog, type Lesson } from '../../src/core/lessons/lessonCatalog';
import { blockNamesZh, checkExercise, checkReport, expectFilter } from '../../src/core/lessons/lessonCheck';
import { parseWire } from '../../src/core/wire/wireParser';
import { repoRoot } from '../support';
import { runLessonCommand } from '../../src/core/cli/lessonCommand';
import { lessonCapturePlan } from '../../src/core/lessons/lessonRunner';
import { compileFilter } from '../../src/core/decode/displayFilter';

const interpreter = { command: 'python3', args: [], source: 'default' };
const catalog = loadLessonCatalog(path.join(repoRoot, 'lessons'));

/** Folders the tests make, removed when the file's tests end (they were left in the temp folder, thousands per day). */
const made: string[] = [];
function tempDir(tag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `socket-lab-check-${tag}-`));
  made.push(dir);
  return dir;
}
after(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A learner's copy: the lesson's top-level files (what Copy Lesson to Folder copies), then `over` laid on top. */
function copyOf(lesson: Lesson, over?: string): string {
  const dir = tempDir(lesson.id);
  for (const e of fs.readdirSync(lesson.dir, { withFileTypes: true })) if (e.isFile()) fs.copyFileSync(path.join(lesson.dir, e.name), path.join(dir, e.name));
  if (over) for (const f of fs.readdirSync(over)) fs.copyFileSync(path.join(over, f), path.join(dir, f));
  return dir;
}

/** One small mistake in one file of a copy: `from` (found exactly once, so a lesson edit cannot make it a no-op) becomes `to`. */
interface Mistake {
  file: string;
  from: string;
  to: string;
  /** What the mistake breaks, in a few words. */
  why: string;
  /** Evidence the report must show besides a ✗ line. */
  shows?: RegExp[];
}

/** A copy of the lesson (with `over` laid on it) carrying `m`. */
function wrongCopy(lesson: Lesson, m: Mistake, over?: string): string {
  const dir = copyOf(lesson, over);
  const file = path.join(dir, m.file);
  const text = fs.readFileSync(file, 'utf8');
  assert.equal(text.split(m.from).length - 1, 1, `${lesson.id}: ${JSON.stringify(m.from)} must occur once in ${m.file}`);
  fs.writeFileSync(file, text.replace(m.from, () => m.to));
  return dir;
}

/** Per lesson, mistakes a learner might make in their copy that break exactly what exercise 0 checks (one or more). */
const wrongCopies: Record<string, Mistake | Mistake[]> = {
  '01-tcp-echo': { file: 'server.py', from: 'conn.sendall(data.upper())', to: 'conn.sendall(data)', why: 'echoes without upper-casing', shows: [/✗ expect "HELLO, SOCKET LAB"/, /got +"hello, socket lab"/] },
  '02-many-clients': { file: 'server.py', from: 'while True:  # outer loop', to: 'if True:  # no outer loop', why: 'has no outer accept() loop: the second client is refused', shows: [/✗ connect tcp/] },
  '03-udp-echo': { file: 'server.py', from: '            count += 1\n', to: "            if not data:  # the TCP habit: b'' taken for a close\n                break\n            count += 1\n", why: 'takes an empty datagram for a close (the TCP habit)', shows: [/✗ expect ""/] },
  '04-sticky-packets': { file: 'client.py', from: 'sock.sendall(word)', to: "sock.sendall(word + b'\\n')", why: 'ends each word with a newline: the stream is no longer applebananacherry', shows: [/✗ on "applebananacherry" close/] },
  '05-framing': { file: 'server.py', from: 'split_frames(pending + data)', to: 'split_frames(data)', why: 'forgets the bytes kept from the last recv(): a header cut in two is lost', shows: [/✗ expect bytes 70000/] },
  '06-remote-command': { file: 'server.py', from: 'if not hmac.compare_digest(recv_msg(conn), token):', to: 'if not recv_msg(conn):  # any token will do while testing', why: 'lets any token in', shows: [/✗ expect "refused: wrong token/] },
  '07-concurrent-servers': [
    { file: 'server.py', from: 'self.request.sendall(data.upper())\n', to: 'self.request.sendall(data.upper())\n                return  # one answer per connection, as in the socketserver docs\n', why: 'answers one message in handle() and returns', shows: [/✗ expect "AGAIN"/] },
    { file: 'server.py', from: 'class Server(socketserver.ThreadingTCPServer):', to: 'class Server(socketserver.TCPServer):  # "threads are not needed for a small server"', why: 'serves one connection at a time (TCPServer, not ThreadingTCPServer)', shows: [/✗ expect "CLIENT [12]" within 1\.5s/, /nothing matching came within 1500 ms/, /^### the (first|second) of two clients at once.*: passed$/m] },
  ],
  '08-authentication': { file: 'server.py', from: 'continue  # closing without a word', to: "conn.sendall(b'wrong key\\n')\n                        continue  # closing", why: 'tells a wrong client why (the close must say nothing)', shows: [/✗ expect closed within 1s/] },
  '09-multiplexing': { file: 'server.py', from: 'pending += data', to: 'pending = data', why: 'drops the half line kept from the last recv()', shows: [/✗ expect "AND A HALF\\n"/] },
  '10-socket-options': { file: 'server.py', from: "conn.sendall(b'bye\\n')\n", to: "conn.sendall(b'bye\\n')\n                conn.recv(1)  # wait for the client to close first\n", why: 'waits for the client to close first: TIME_WAIT moves to the client', shows: [/✗ expect closed within 2s/] },
  '11-unix-sockets': { file: 'server.py', from: '                conn, _ = server.accept()  # the peer "address" of a Unix client is usually empty\n', to: '                conn, _ = server.accept()\n                os.unlink(PATH)  # "the file is not needed once connected"\n', why: 'removes the socket file once a client is in: the next client finds no address', shows: [/✗ connect unix/] },
  '12-http-by-hand': { file: 'server.py', from: "while b'\\r\\n\\r\\n' not in buf:", to: "if b'\\r\\n\\r\\n' not in buf:  # one recv() is the request", why: 'takes one recv() for the whole request head', shows: [/✗ expect "HTTP\/1\.1 200 OK\\r\\n"/, /got +"HTTP\/1\.1 400 Bad Request/] },
  '13-bytes-encodings': { file: 'client.py', from: "else 'utf-8'", to: "else 'gbk'", why: 'encodes as gbk (a Chinese Windows default): c4 ea, not e5 b9 b4', shows: [/✗ on hex e5 b9 b4 close/] },
  '14-names-addresses': { file: 'bind_demo.py', from: "six = listen(socket.AF_INET6, '::1')", to: 'six = None  # "127.0.0.1 is localhost, IPv6 included"', why: 'runs no server on ::1, taking IPv4 and IPv6 for one', shows: [/✗ a connection over IPv6/] },
  '15-raw-sockets': { file: 'send_frame.py', from: "struct.pack('!6s6sH'", to: "struct.pack('6s6sH'", why: 'packs the header in native byte order: the EtherType leaves as b5 88', shows: [/✗ one frame with the experimental EtherType/] },
  '16-file-transfer': { file: 'server.py', from: "ok = msg.get('type') == 'login' and ", to: "ok = msg.get('type') == 'login'  # TODO check the proof\n    _ = ", why: 'does not check the proof', shows: [/✗ expect .*"ok"/] },
  '17-multi-process': { file: 'server.py', from: "            conn.close()\n            print(f'parent", to: "            print(f'parent", why: "keeps the parent's copy of the connection open: no FIN when the child closes", shows: [/✗ expect closed within 3s/] },
  '18-poll-epoll': { file: 'server.py', from: '                poller.unregister(fd)  # unregister before close: the fd number will be reused\n                del conns[fd]\n                conn.close()\n', to: '                conn.close()\n                poller.unregister(fd)\n                del conns[fd]\n', why: 'closes before unregistering: epoll no longer knows the fd and the loop dies', shows: [/^### the next client, .*: failed$/m] },
  '19-tls': { file: 'server.py', from: 'ctx.load_cert_chain(cert, key)', to: 'pass  # the certificate is made above, but never loaded', why: 'never loads its certificate: the ClientHello gets an alert, not a ServerHello', shows: [/✗ expect hex 16 03 03/, /got .* 15 03 03/] },
  '20-icmp-ping': { file: 'ping.py', from: 'ECHO_REQUEST, ECHO_REPLY = 8, 0', to: 'ECHO_REQUEST, ECHO_REPLY = 0, 8', why: 'swaps the request and reply types: it sends replies and nothing answers', shows: [/✗ three echo requests/] },
  '21-udp-broadcast': { file: 'sender.py', from: 's.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)', to: 'pass  # SO_BROADCAST forgotten', why: 'forgets SO_BROADCAST: the kernel refuses the broadcast', shows: [/✗ on "hello to 127\.255\.255\.255" close/] },
  '22-closing': [
    { file: 'server.py', from: "conn.sendall(f'got {len(got)} bytes after your shutdown\\n'.encode())", to: 'pass  # the client shut down: nobody left to answer', why: "takes the client's FIN for the end of both directions", shows: [/✗ expect "got 20 bytes/] },
    { file: 'server.py', from: 'conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)', to: 'pass  # "close() resets anyway"', why: 'ends the reset case with an ordinary close (a FIN, not an RST)', shows: [/✗ expect reset within 3s/, /expected RST/, /got +FIN/] },
  ],
};

/** Per "lesson/exercise", wrong solutions its checker once let pass: the reference solution with one mistake each. */
const wrongSolutions: Record<string, Mistake | Mistake[]> = {
  '01-tcp-echo/1': { file: 'client.py', from: "answer = sock.recv(1024).decode('utf-8')  # \"PING <word>\": TCP may cut it, but a short answer comes whole here\n        print('reply:', answer, flush=True)\n        word = answer.split(' ', 1)[1]", to: "word = f'{PORT}x{PORT}'  # never reads: the word the old checker always gave", why: 'sends "quit <port>x<port>" without reading the answer', shows: [/✗ on "quit \{\{word\}\}" reply "BYE" — answered 0×/] },
  '05-framing/1': { file: 'server.py', from: "send_msg(conn, b'error: not a size')", to: "conn.sendall((17).to_bytes(4, 'little') + b'error: not a size')  # little-endian prefix", why: 'frames the error with a little-endian length', shows: [/✗ expect hex 00 00 00 11/, /got .*11 00 00 00/] },
  '10-socket-options/1': [
    { file: 'server.py', from: "conn.sendall(f'you are {host}:{port}\\n'.encode('ascii'))", to: "conn.sendall(b'you are 127.0.0.1:40312\\n')  # the task's example", why: 'sends the address from the task, not the client\'s', shows: [/✗ expect "you are 127\.0\.0\.1:\{\{local_port\}\}\\n"/, /got +"you are 127\.0\.0\.1:40312\\n/] },
    { file: 'server.py', from: "conn.sendall(f'you are {host}:{port}\\n'.encode('ascii'))", to: "conn.sendall(('you are %s:%d\\n' % conn.getsockname()[:2]).encode('ascii'))  # getsockname: its own address", why: 'sends its own address (getsockname) instead of the peer\'s', shows: [/✗ expect "you are/] },
  ],
  '11-unix-sockets/1': [
    { file: 'server.py', from: "conn.sendall(f'pid={pid} uid={uid} gid={gid}\\n'.encode('ascii'))", to: "conn.sendall(b'pid=4242 uid=1000 gid=1000\\n')  # made-up numbers", why: 'sends made-up numbers', shows: [/✗ expect "pid=\{\{pid\}\} uid=\{\{uid\}\} gid=\{\{gid\}\}\\n"/] },
    { file: 'server.py', from: "conn.sendall(f'pid={pid} uid={uid} gid={gid}\\n'.encode('ascii'))", to: "conn.sendall(f'pid={os.getpid()} uid={os.getuid()} gid={os.getgid()}\\n'.encode('ascii'))  # its own", why: 'sends its own pid, uid and gid instead of the connecting process\'s', shows: [/got +"pid=\d+ uid=\d+ gid=\d+\\n"/] },
  ],
  '14-names-addresses/1': { file: 'bind_demo.py', from: "            c.bind((CLIENT_ADDRESS, 0))  # the source address; port 0: the kernel picks a free port\n", to: '', why: 'never binds the client: the kernel picks 127.0.0.1 as its source', shows: [/✗ a connection from 127\.0\.0\.3 to 127\.0\.0\.2 \(SYN\): 0 packets match/, /✗ accepted by the server on 127\.0\.0\.2 \(SYN-ACK\): 0 packets match/] },
  '15-raw-sockets/1': [
    { file: 'send_frame.py', from: "struct.pack('!6s6sH', BROADCAST, SOURCE,", to: "struct.pack('!6s6sH', SOURCE, BROADCAST,", why: 'puts the source MAC first: the header starts with the destination', shows: [/✗ that frame from the locally administered address 02:00:00:00:00:15 to the broadcast address ff:ff:ff:ff:ff:ff: 0 packets match/] },
    {
      file: 'send_frame.py',
      from: "        header = struct.pack('!6s6sH', BROADCAST, SOURCE, ETHERTYPE_EXPERIMENTAL)\n",
      to: "        sock.send(struct.pack('!6s6sH', bytes(6), SOURCE, ETHERTYPE_EXPERIMENTAL) + bytes(46))  # one frame has the source\n        header = struct.pack('!6s6sH', BROADCAST, bytes(6), ETHERTYPE_EXPERIMENTAL)  # another the destination\n",
      why: 'sends two frames, one with the right source and one with the right destination, neither right',
      shows: [/✗ one frame with the experimental EtherType 0x88B5, and only one: 2 packets match/, /✗ that frame from .*: 0 packets match/],
    },
  ],
  '16-file-transfer/1': { file: 'server.py', from: '    for _ in range(TRIES):\n        nonce = os.urandom(16).hex()', to: '    nonce = os.urandom(16).hex()  # one nonce per connection\n    for _ in range(TRIES):\n        pass', why: 'keeps one nonce for all three tries, so a proof seen on the wire stays good', shows: [/✗ expect \/\^\[\^\]\{4\}/] },
  '22-closing/1': { file: 'server.py', from: "        conn.sendall(f'bye after {lines} lines\\n'.encode())", to: "        global served\n        served = globals().get('served', 0) + 1  # counts connections, not lines\n        conn.sendall(f'bye after {3 if served == 1 else 0} lines\\n'.encode())", why: 'counts connections, not lines (3 for the first, 0 after)', shows: [/✗ expect "bye after 2 lines\\n" within 3s/, /got +"bye after 3 lines\\n"/] },
  '17-multi-process/1': { file: 'server.py', from: "conn.sendall(f'children: {children}\\n'.encode())", to: "conn.sendall(b'children: 1\\n')  # no counting: one client at a time has one child", why: 'always says "children: 1", counting nothing', shows: [/✗ expect "children: 2\\n" within 2s/, /got +"children: 1\\n"/] },
  '19-tls/1': { file: 'server.py', from: 'ctx.minimum_version = ssl.TLSVersion.TLSv1_3', to: 'ctx.maximum_version = ssl.TLSVersion.TLSv1_3', why: 'sets the maximum version to TLS 1.3 instead of the minimum: TLS 1.2 is still accepted', shows: [/✗ expect hex 15 03/, /got .*16 03 03/] },
  '17-multi-process/2': { file: 'server.py', from: '        children -= 1  # the parent learns that a child ended only here\n', to: '', why: 'counts forks but never subtracts the children waitpid() collects', shows: [/✗ expect "children: 1\\n" within 2s/, /got +"children: 2\\n"/] },
  '21-udp-broadcast/1': { file: 'receiver.py', from: "f'seen by {key.data}: '", to: "'seen by 127.0.0.1: '", why: 'names the address from the task, not the one its socket is bound to', shows: [/✗ expect "seen by 127\.0\.0\.2: ping"/] },
};

describe('lessons: Check My Solution', function () {
  this.timeout(60_000);

  it('socket-lab lesson check: exit 0 on a pass, 1 on a fail with the evidence, 2 for a usage mistake; --json', async () => {
    const lesson = catalog.lessons.find((l) => l.id === '01-tcp-echo')!;
    const run = async (...argv: string[]) => {
      const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
      return { code: await runLessonCommand(argv, io), ...io };
    };
    const pass = await run('check', '01-tcp-echo', '1', '--dir', path.join(lesson.dir, 'solutions', '1'));
    assert.equal(pass.code, 0, pass.stdout + pass.stderr);
    assert.match(pass.stdout, /Exercise 1 of 01-tcp-echo: passed/);
    const fail = await run('check', '01-tcp-echo', '1', '--dir', copyOf(lesson), '--lang', 'zh-cn');
    assert.equal(fail.code, 1);
    assert.match(fail.stdout, /未通过[\s\S]*"hello, socket lab"/);
    // sending "quit" without reading the answer cannot pass: the word it must carry is in the answer
    const blind = tempDir('blind');
    fs.writeFileSync(path.join(blind, 'client.py'), 'import socket, sys\ns = socket.create_connection(("127.0.0.1", int(sys.argv[1])))\ns.sendall(b"pingquit")\ns.recv(100)\n');
    const early = await run('check', '01-tcp-echo', '1', '--dir', blind);
    assert.equal(early.code, 1, early.stdout);
    assert.match(early.stdout, /everything your client sent: "pingquit"/);
    const json = await run('check', '01-tcp-echo', '0', '--dir', copyOf(lesson), '--json');
    assert.equal(json.code, 0);
    assert.equal(JSON.parse(json.stdout).pass, true);
    for (const argv of [['check', '01-tcp-echo'], ['check', '99-nope', '0'], ['check', '01-tcp-echo', '7'], ['fly'], ['check', '01-tcp-echo', '0', '--lang', 'fr'], ['list', 'extra'], ['check', '01-tcp-echo', '0', '--dir', '/nonexistent/socket-lab']]) {
      const u = await run(...argv);
      assert.equal(u.code, 2, `${argv.join(' ')}: ${u.stdout}${u.stderr}`);
      assert.match(u.stderr, /^socket-lab lesson: .+\n$/);
    }
  });

  it('every lesson has exercise 0 at least, and a wrong copy to test it with; every packet expectation is a display filter Socket Lab can apply', () => {
    assert.deepEqual(Object.keys(wrongCopies).sort(), catalog.lessons.map((l) => l.id).sort());
    for (const k of Object.keys(wrongSolutions)) assert.ok(catalog.lessons.some((l) => l.exercises.some((x) => `${l.id}/${x.id}` === k && x.id !== '0')), `${k} names an exercise`);
    for (const l of catalog.lessons) {
      assert.ok(l.exercises.some((x) => x.id === '0'), `${l.id} has exercise 0`);
      for (const x of l.exercises) for (const e of x.expect ?? []) assert.doesNotThrow(() => compileFilter(expectFilter(e.filter, { pid: 4242, port: '9000' })), `${l.id}/${x.id}: ${e.filter}`);
    }
  });

  it('every "what to watch" link is a display filter Socket Lab can apply, in a lesson that has ports', () => {
    let links = 0;
    for (const l of catalog.lessons) {
      for (const f of l.watch.filters ?? []) {
        if (!f) continue;
        links++;
        assert.ok(lessonCapturePlan(l), `${l.id}: a watch filter needs a lesson Run Lesson with Capture can capture`);
        assert.doesNotThrow(() => compileFilter(f), `${l.id}: ${f}`);
      }
    }
    assert.ok(links >= 30, `${links} links`);
  });

  it('a concurrent exercise runs its client blocks at once, evidence in block order: lesson 7\'s one-at-a-time server passes them one after another and fails them together', async () => {
    const lesson = catalog.lessons.find((l) => l.id === '07-concurrent-servers')!;
    const x = lesson.exercises.find((e) => e.id === '0')!;
    assert.equal(x.concurrent, true);
    const serial = [wrongCopies[lesson.id]].flat().find((m) => /one connection at a time/.test(m.why))!;
    const inTurn = await checkExercise(lesson, { ...x, concurrent: false }, { interpreter, dir: wrongCopy(lesson, serial) });
    assert.equal(inTurn.pass, true, `one block at a time cannot tell: ${checkReport(inTurn, 'en')}`);
    const together = await checkExercise(lesson, x, { interpreter, dir: wrongCopy(lesson, serial) });
    assert.equal(together.pass, false);
    const heads = together.evidence.filter((e) => e.en.startsWith('### ')).map((e) => e.en.replace(/: (passed|failed)$/, ''));
    assert.deepEqual(heads, ['### the first of two clients at once: answered while the other holds its connection', '### the second of two clients at once: answered while the first holds its connection']);
  });

  it('every block of every lesson checker has a Chinese name (# zh-cn: right after its ###), and a zh-cn report shows it', async () => {
    let blocks = 0;
    for (const l of catalog.lessons) {
      for (const x of l.exercises) {
        if (!x.check) continue;
        const text = fs.readFileSync(path.join(l.dir, x.check), 'utf8');
        const names = blockNamesZh(text);
        for (const b of parseWire(text, { variables: ['port', 'path'] }).blocks) {
          blocks++;
          const zh = names.get(b.line);
          assert.ok(zh, `${l.id}/${x.check}:${b.line} "${b.name}" needs "# zh-cn: …" on the next line`);
          assert.match(zh, /[\u4e00-\u9fff]/, `${l.id}/${x.check}:${b.line}: ${zh}`);
          for (const t of b.name?.match(/\{\{[^}]*\}\}/g) ?? []) assert.ok(zh.includes(t), `${l.id}/${x.check}:${b.line}: ${t} stays literal`);
        }
      }
    }
    assert.ok(blocks >= 68, `${blocks} blocks`);
    assert.deepEqual([...blockNamesZh('### a\r\n# zh-cn:  甲 \r\nconnect tcp 1\n### b\n\n# zh-cn: 乙\n').entries()], [[1, '甲']], 'only the line right after the ###');
    const lesson = catalog.lessons.find((l) => l.id === '01-tcp-echo')!;
    const r = await checkExercise(lesson, lesson.exercises[0], { interpreter, dir: wrongCopy(lesson, [wrongCopies[lesson.id]].flat()[0]) });
    assert.match(checkReport(r, 'zh-cn'), /^### 服务器把收到的内容转成大写发回：未通过$/m);
    assert.match(checkReport(r, 'en'), /^### the server sends back what it receives, upper-cased: failed$/m);
  });

  it('a folder without the program says to copy the lesson first', async () => {
    const lesson = catalog.lessons.find((l) => l.id === '01-tcp-echo')!;
    const empty = tempDir('empty');
    const r = await checkExercise(lesson, lesson.exercises[0], { interpreter, dir: empty });
    assert.equal(r.pass, false);
    assert.match(checkReport(r, 'en'), /server\.py is not in .*copy the lesson there first/);
  });

  for (const lesson of catalog.lessons) {
    for (const x of lesson.exercises) {
      if (x.id === '0') {
        it(`${lesson.id} exercise 0: the lesson as shipped passes its own checker`, async function () {
          const r = await checkExercise(lesson, x, { interpreter, dir: copyOf(lesson) });
          if (r.unavailable) {
            console.warn(`      skipped: ${r.unavailable}`);
            this.skip();
          }
          assert.equal(r.pass, true, checkReport(r, 'en') + '\n' + r.output);
        });
        for (const wrong of [wrongCopies[lesson.id]].flat()) {
          it(`${lesson.id} exercise 0: a copy that ${wrong.why} fails`, async function () {
            const r = await checkExercise(lesson, x, { interpreter, dir: wrongCopy(lesson, wrong) });
            if (r.unavailable) {
              console.warn(`      skipped: ${r.unavailable}`);
              this.skip();
            }
            const text = checkReport(r, 'en');
            assert.equal(r.pass, false, `the mistake passed exercise 0: its checker is too weak\n${text}\n${r.output}`);
            assert.match(text, /^✗/m);
            for (const e of wrong.shows ?? []) assert.match(text, e);
            const zh = checkReport(r, 'zh-cn');
            assert.match(zh, /未通过/);
            for (const h of zh.split('\n').filter((l) => l.startsWith('### '))) assert.match(h.replace(/：(未通过|通过)$/, ''), /[\u4e00-\u9fff]/, `a Chinese block name in the zh-cn report: ${h}`);
          });
        }
        continue;
      }
      const solution = path.join(lesson.dir, 'solutions', x.id);
      it(`${lesson.id} exercise ${x.id}: the reference solution passes, the lesson as shipped does not`, async function () {
        assert.ok(fs.existsSync(solution), `${lesson.id} needs a reference solution in solutions/${x.id}/`);
        const good = await checkExercise(lesson, x, { interpreter, dir: copyOf(lesson, solution) });
        if (good.unavailable) {
          console.warn(`      skipped: ${good.unavailable}`);
          this.skip();
        }
        assert.equal(good.pass, true, checkReport(good, 'en') + '\n' + good.output);
        const shipped = await checkExercise(lesson, x, { interpreter, dir: copyOf(lesson) });
        assert.equal(shipped.pass, false, 'the unchanged lesson must not pass an exercise that asks for a change');
        assert.ok(shipped.evidence.some((e) => e.en.startsWith('✗')), checkReport(shipped, 'en'));
      });
      for (const wrong of [wrongSolutions[`${lesson.id}/${x.id}`] ?? []].flat()) {
        it(`${lesson.id} exercise ${x.id}: a solution that ${wrong.why} fails`, async function () {
          const r = await checkExercise(lesson, x, { interpreter, dir: wrongCopy(lesson, wrong, solution) });
          if (r.unavailable) {
            console.warn(`      skipped: ${r.unavailable}`);
            this.skip();
          }
          const text = checkReport(r, 'en');
          assert.equal(r.pass, false, `the wrong solution passed: the checker is too weak\n${text}\n${r.output}`);
          assert.match(text, /^✗/m);
          for (const e of wrong.shows ?? []) assert.match(text, e);
        });
      }
    }
  }
});
