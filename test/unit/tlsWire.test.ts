// `.wire` scripts over TLS: a `listen tls` block served by Socket Lab, `connect tls` clients that trust its kept
// certificate, fail in one sentence when they do not, and go on with `insecure`.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import { planSummary, planTask } from '../../src/core/tasks/taskPlan';
import { parseWire } from '../../src/core/wire/wireParser';
import { runClientBlock, serveBlock } from '../../src/core/wire/wireRunner';

describe('wire scripts over TLS', function () {
  this.timeout(20_000);
  let dir: string;
  let m: SessionManager;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-tlswire-'));
    m = new SessionManager({ tlsCacheDir: path.join(dir, 'cache') });
  });
  afterEach(() => {
    m.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('parses connect tls … [insecure] and listen tls; insecure belongs to connect tls only', () => {
    const f = parseWire('### c\nconnect tls localhost:8443 insecure\nsend "x"\n\n### s\nlisten tls 0\non any reply "y"\n');
    assert.deepEqual(f.diagnostics, []);
    const [c, s] = f.blocks;
    assert.equal(c.endpoint?.proto, 'tls');
    assert.equal(c.endpoint?.insecure, true);
    assert.equal(s.endpoint?.proto, 'tls');
    assert.equal(s.kind, 'server');
    assert.match(parseWire('### c\nconnect tcp localhost:1 insecure\n').diagnostics[0].message, /unexpected "insecure"/);
  });

  it('a served listen tls block answers a connect tls client that trusts the kept certificate; an untrusting one fails in one sentence', async () => {
    const file = parseWire('### server\nlisten tls 127.0.0.1:0\nframing line\non "PING" reply "PONG"\n');
    const served = await serveBlock(m, file, file.blocks[0]);
    assert.equal(served.session.kind, 'tls-server');
    const port = served.session.localPort!;
    const client = (extra: string) => parseWire(`### client\nconnect tls 127.0.0.1:${port}${extra}\nframing line\nsend "PING"\nexpect "PONG"\nclose\n`);

    const trusted = client('');
    const ok = await runClientBlock(trusted, trusted.blocks[0], { tlsCacheDir: path.join(dir, 'cache') });
    assert.deepEqual(ok.steps.map((s) => s.status), ['pass', 'pass', 'pass', 'pass'], JSON.stringify(ok.steps));

    const elsewhere = await runClientBlock(trusted, trusted.blocks[0], { tlsCacheDir: path.join(dir, 'nothing-here') });
    assert.equal(elsewhere.steps[0].status, 'fail');
    assert.match(elsewhere.steps[0].message ?? '', /presented a self-signed certificate \(CN=Socket Lab localhost, O=Socket Lab\)/);
    assert.match(elsewhere.steps[0].messageZh ?? '', /自签名证书/);

    const insecure = client(' insecure');
    const anyway = await runClientBlock(insecure, insecure.blocks[0], { tlsCacheDir: path.join(dir, 'nothing-here') });
    assert.deepEqual(anyway.steps.map((s) => s.status), ['pass', 'pass', 'pass', 'pass']);
    served.dispose();
  });
});

describe('socketLab tasks over TLS', () => {
  it('a task definition takes tls as a transport, for a server and a client', () => {
    const server = planTask({ type: 'socketLab', server: 'tls', port: 0, mode: 'echo' });
    assert.equal(planSummary(server), 'tls server 127.0.0.1:0, mode echo');
    assert.equal(planTask({ type: 'socketLab', connect: 'tls', host: 'localhost', port: 8443 }).transport, 'tls');
    assert.throws(() => planTask({ type: 'socketLab', connect: 'ssl', port: 1 }), /bad transport "ssl"/);
  });
});
