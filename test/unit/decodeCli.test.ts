import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runDecodeCommand } from '../../src/core/cli/decodeCommand';
import { repoRoot } from './helpers';

const fixture = (f: string) => path.join(repoRoot, 'test', 'fixtures', 'decode', f);

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runDecodeCommand(argv, { out: (s) => void (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('socket-lab decode', () => {
  it('prints one Wireshark-like row per packet', async () => {
    const r = await run([fixture('lo4.pcap')]);
    assert.equal(r.code, 0, r.err);
    const rows = r.out.trimEnd().split('\n');
    assert.equal(rows.length, 14);
    assert.match(rows[0], /^\s+1\s+0\.000000\s+127\.0\.0\.1 → 127\.0\.0\.1\s+TCP\s+74 \d+ → 18431 \[SYN\] Seq=0 Win=65495 Len=0 MSS=65495/);
    assert.match(rows[1], /^\s+2\s+0\.0000\d\d .*\[SYN, ACK\] Seq=0 Ack=1 /);
    assert.match(rows[3], /HTTP\s+140 GET \/index\.html HTTP\/1\.1$/);
    assert.match(rows[8], /DNS\s+71 Standard query 0x1234 A example\.com$/);
  });

  it('--json prints one object per line with number, timestamp, lengths and layers of named fields', async () => {
    const r = await run([fixture('lo-dumpcap.pcapng'), '--json']);
    assert.equal(r.code, 0, r.err);
    const objs = r.out.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(objs.map((o) => o.number), objs.map((_, i) => i + 1));
    const syn = objs[0];
    assert.equal(typeof syn.timestamp, 'number');
    assert.equal(syn.length, 74);
    assert.equal(syn.capturedLength, 74);
    assert.deepEqual(syn.layers.map((l: { name: string }) => l.name), ['frame', 'eth', 'ip', 'tcp']);
    const tcpLayer = syn.layers[3];
    assert.equal(tcpLayer.role, 'segment');
    assert.equal(tcpLayer.fields['tcp.dstport'], 18434);
    assert.equal(tcpLayer.fields['tcp.seq'], 0);
    assert.equal(tcpLayer.fields['tcp.flags.syn'], true);
    assert.equal(tcpLayer.fields['tcp.options.mss_val'], 65495);
    assert.equal(syn.layers[2].fields['ip.ttl'], 64);
  });

  it('analyses TCP sequence numbers as Wireshark does, unless --no-analyze-tcp', async () => {
    const numbers = (out: string) => out.trimEnd().split('\n').filter((l) => l !== '').map((l) => Number(l.trim().split(/\s+/)[0]));
    // tshark -r lo4.pcap -Y tcp.analysis.ack_rtt: frames 2 3 5 7 11 12
    const on = await run([fixture('lo4.pcap'), '--filter', 'tcp.analysis.ack_rtt']);
    assert.deepEqual(numbers(on.out), [2, 3, 5, 7, 11, 12]);
    const json = await run([fixture('lo4.pcap'), '--json', '--filter', 'frame.number == 2']);
    assert.equal(JSON.parse(json.out).layers[3].fields['tcp.analysis.acks_frame'], 1);
    const off = await run([fixture('lo4.pcap'), '--no-analyze-tcp', '--filter', 'tcp.analysis.ack_rtt']);
    assert.equal(off.code, 0, off.err);
    assert.deepEqual(numbers(off.out), []);
  });

  it('--no-analyze-tcp prints the raw sequence numbers, as tshark with tcp.analyze_sequence_numbers off', async function () {
    if (spawnSync('tshark', ['-v']).status !== 0) this.skip(); // nothing to compare against
    let compared = 0;
    for (const f of ['lo4.pcap', 'lo6.pcap', 'lo-dumpcap.pcapng', 'any-sll2.pcap']) {
      const ts = spawnSync('tshark', ['-n', '-r', fixture(f), '-o', 'tcp.analyze_sequence_numbers:FALSE', '-Y', 'tcp', '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.number', '-e', '_ws.col.Protocol', '-e', 'tcp.seq', '-e', 'tcp.ack', '-e', 'tcp.nxtseq', '-e', '_ws.col.Info'], { encoding: 'utf8' });
      const r = await run([fixture(f), '--no-analyze-tcp', '--json', '--filter', 'tcp']);
      assert.equal(r.code, 0, r.err);
      const ours = r.out.trimEnd().split('\n').map((l) => JSON.parse(l));
      const theirs = ts.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
      assert.equal(ours.length, theirs.length, f);
      ours.forEach((o, i) => {
        const [no, proto, seq, ack, nxtseq, info] = theirs[i];
        const t = o.layers.find((l: { name: string }) => l.name === 'tcp').fields;
        assert.deepEqual([o.number, t['tcp.seq'], t['tcp.ack'], t['tcp.nxtseq']], [Number(no), Number(seq), Number(ack), Number(nxtseq)], `${f} #${no}`);
        if (proto === 'TCP') assert.equal(o.info, info.trimEnd(), `${f} #${no}`);
        compared++;
      });
    }
    assert.ok(compared > 20, `compared ${compared} segments`);
  });

  it('--filter keeps the matching packets and keeps their capture numbers', async () => {
    const r = await run([fixture('lo6.pcap'), '--filter', 'tcp.flags.syn == 1']);
    assert.equal(r.code, 0, r.err);
    const rows = r.out.trimEnd().split('\n');
    assert.deepEqual(rows.map((l) => Number(l.trim().split(/\s+/)[0])), [1, 2]);
    const bad = await run([fixture('lo6.pcap'), '--filter', 'tcp.prot == 1']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /bad filter: "tcp\.prot" is not a field or protocol name .*at character 1/);
  });

  it('explains a missing file, a non-capture and a cut-off capture', async () => {
    const missing = await run(['/nonexistent/x.pcap']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /cannot read \/nonexistent\/x\.pcap: no such file/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'decode-cli-'));
    try {
      const junk = path.join(dir, 'junk.pcap');
      fs.writeFileSync(junk, 'hello, not a capture');
      const j = await run([junk]);
      assert.equal(j.code, 1);
      assert.match(j.err, /not a pcap or pcapng capture/);
      const cut = path.join(dir, 'cut.pcap');
      const whole = fs.readFileSync(fixture('lo4.pcap'));
      fs.writeFileSync(cut, whole.subarray(0, whole.length - 10));
      const c = await run([cut]);
      assert.equal(c.code, 1);
      assert.equal(c.out.trimEnd().split('\n').length, 13, 'the whole packets before the cut are still shown');
      assert.match(c.err, /cut off/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const usage = await run([]);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /give the capture file/);
  });

  it('is dispatched by the socket-lab CLI entry point', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'cli.ts'), 'decode', fixture('any-sll2.pcap'), '--json'], { encoding: 'utf8', cwd: repoRoot, timeout: 60000 });
    assert.equal(r.status, 0, r.stderr);
    const first = JSON.parse(r.stdout.split('\n')[0]);
    assert.equal(first.layers[1].name, 'sll');
    assert.equal(first.linkType, 276);
  });
});
