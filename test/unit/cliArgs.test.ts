// Every `socket-lab` verb reads its arguments the same way (issue 14): `--opt value`, `--opt=value` and a value that
// starts with a dash mean the same; an unknown option, a missing value or a stray argument is one sentence and exit 2.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { type CliIo, parseAddr, UsageError } from '../../src/core/cli/cliIo';
import { runCaptureCommand } from '../../src/core/cli/captureCommand';
import { runDecodeCommand } from '../../src/core/cli/decodeCommand';
import { runListen } from '../../src/core/cli/listenCommand';
import { runSend } from '../../src/core/cli/sendCommand';
import { parseSocketsArgs, runSocketsCommand } from '../../src/core/cli/socketsCommand';
import { parseHostPort } from '../../src/core/sessions/sessionManager';
import { repoRoot } from './helpers';

const pcap = path.join(repoRoot, 'test', 'fixtures', 'decode', 'lo4.pcap');

type Verb = 'sockets' | 'capture' | 'decode' | 'listen' | 'send';
const run: Record<Verb, (argv: string[], io: CliIo) => Promise<number>> = {
  sockets: runSocketsCommand,
  capture: runCaptureCommand,
  decode: runDecodeCommand,
  listen: runListen,
  send: runSend,
};
/** Arguments that make each verb valid apart from what a test adds (nothing starts: the added part is wrong). */
const base: Record<Verb, string[]> = {
  sockets: [],
  capture: ['-i', 'lo', '-w', path.join(repoRoot, 'never-written.pcapng')],
  decode: [pcap],
  listen: ['tcp', '0'],
  send: ['tcp', '1', '--text', 'x'],
};
const verbs = Object.keys(run) as Verb[];

async function call(verb: Verb, extra: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run[verb]([...base[verb], ...extra], { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe('socket-lab: one way to read arguments for every verb', () => {
  for (const verb of verbs) {
    it(`${verb}: an unknown option is one sentence naming it, exit 2`, async () => {
      for (const flag of ['--bogus', '-q']) {
        const r = await call(verb, [flag]);
        assert.equal(r.code, 2);
        assert.equal(r.err, `socket-lab ${verb}: unknown option "${flag}" (try socket-lab ${verb} --help)\n`);
        assert.equal(r.out, '');
      }
    });

    it(`${verb}: -h and --help print its usage on the output, exit 0`, async () => {
      for (const flag of ['-h', '--help']) {
        let out = '';
        const code = await run[verb]([flag], { out: (t) => void (out += t), err: (t) => assert.fail(t) });
        assert.equal(code, 0);
        assert.match(out, new RegExp(`^Usage: socket-lab ${verb} `));
      }
    });
  }

  const valued: Record<Verb, [string, RegExp]> = {
    sockets: ['--state', /^socket-lab sockets: --state: unknown state "-x"/],
    capture: ['--engine', /^socket-lab capture: --engine must be auto, cap, dumpcap or tcpdump, got "-x"/],
    decode: ['--filter', /^socket-lab decode: bad filter: /],
    listen: ['--mode', /^socket-lab listen: unknown mode "-x"/],
    send: ['--print', /^socket-lab send: --print wants text or hex, got "-x"/],
  };
  for (const verb of verbs) {
    it(`${verb}: "${valued[verb][0]} -x" and "${valued[verb][0]}=-x" give the option the value -x`, async () => {
      const [flag, said] = valued[verb];
      for (const extra of [[flag, '-x'], [`${flag}=-x`]]) {
        const r = await call(verb, extra);
        assert.equal(r.code, 2, `${extra.join(' ')}: ${r.err}`);
        assert.match(r.err, said);
        assert.equal(r.err.split('\n').length, 2, r.err);
      }
    });
  }

  it('a value option given last, with no value, is one sentence and exit 2 in every verb', async () => {
    const said: Record<Verb, [string, RegExp]> = {
      sockets: ['--port', /^socket-lab sockets: --port needs a number from 0 to 65535, got ""\n$/],
      capture: ['--count', /^socket-lab capture: --count needs a number from 1 to 1000000000, got ""\n$/],
      decode: ['-Y', /^socket-lab decode: -Y needs a display filter, e.g. --filter "tcp.port == 8000"\n$/],
      listen: ['--mode', /^socket-lab listen: --mode needs a value \(try socket-lab listen --help\)\n$/],
      send: ['--timeout', /^socket-lab send: --timeout needs a value \(try socket-lab send --help\)\n$/],
    };
    for (const verb of verbs) {
      const r = await call(verb, [said[verb][0]]);
      assert.equal(r.code, 2, `${verb}: ${r.err}`);
      assert.match(r.err, said[verb][1]);
    }
  });

  it('a stray argument is "unexpected argument" in every verb that takes a fixed number of them', async () => {
    for (const verb of ['sockets', 'capture', 'listen', 'send'] as const) {
      const r = await call(verb, ['extra']);
      assert.equal(r.code, 2, `${verb}: ${r.err}`);
      assert.match(r.err, new RegExp(`^socket-lab ${verb}: unexpected argument "extra"\\n$`));
    }
    const d = await call('decode', ['extra']);
    assert.equal(d.code, 2);
    assert.match(d.err, /^socket-lab decode: give one capture file, not ".*lo4\.pcap" and "extra"\n$/);
  });

  it('a boolean option given a value is a usage error, except sockets --json=…, which scripts have always used', async () => {
    for (const verb of ['decode', 'listen', 'send'] as const) {
      const r = await call(verb, ['--json=yes']);
      assert.equal(r.code, 2, `${verb}: ${r.err}`);
      assert.equal(r.err, `socket-lab ${verb}: --json takes no value, got "--json=yes"\n`);
    }
    assert.deepEqual(parseSocketsArgs(['--json=yes', '--port=8000']), { filter: { port: 8000 }, json: true });
  });
});

describe('socket-lab ADDR and the extension\'s host:port boxes: one parser', () => {
  it('gives the same host and port, and refuses an unbracketed IPv6 address in both', () => {
    for (const text of ['8000', ':8000', '127.0.0.1:8000', '[::1]:8000', 'localhost:0', '0.0.0.0:65535']) {
      const core = parseHostPort(text);
      assert.deepEqual(parseAddr('tcp', text), { proto: 'tcp', host: core.host ?? '127.0.0.1', port: core.port }, text);
    }
    assert.throws(() => parseHostPort('::1:80'), /EBADADDR|not an address/);
    assert.throws(() => parseAddr('udp', '::1:80'), (e) => e instanceof UsageError && /write IPv6 addresses in brackets/.test(e.message));
    assert.throws(() => parseAddr('tcp', '127.0.0.1:65536'), (e) => e instanceof UsageError && e.message === '"65536" is not a port — use a whole number from 0 to 65535');
    assert.throws(() => parseAddr('tcp', ' 80'), (e) => e instanceof UsageError && e.message.startsWith('" 80" is not a port'));
  });
});
