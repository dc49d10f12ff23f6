// The session panel's side of Export… and of delta times: the request's validator, the chunks a selection covers,
// and each chunk page saying when the chunk before it came, on a real TCP conversation.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { SessionPanelModel } from '../../src/core/panels/sessionPanelModel';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import { isPanelRequest, responseValidators, TIME_MODES } from '../../src/shared/sessionPanelProtocol';
import { until } from '../support';

const enc = new TextEncoder();

describe('session panel: export request, selected chunks, delta times', function () {
  this.timeout(20_000);
  let m: SessionManager;
  let peer: net.Server;

  beforeEach(async () => {
    m = new SessionManager();
    peer = net.createServer((c) => c.on('data', (d) => c.write(d)).on('error', () => undefined));
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  });
  afterEach(() => {
    m.dispose();
    peer.close();
  });

  it('validates the exportTranscript request: a time style of the logs, an optional ordered byte range', () => {
    assert.deepEqual([...TIME_MODES], ['absolute', 'relative', 'delta']);
    for (const timestamps of TIME_MODES) assert.ok(isPanelRequest({ type: 'exportTranscript', timestamps }));
    assert.ok(isPanelRequest({ type: 'exportTranscript', timestamps: 'delta', selection: { start: 3, end: 9 } }));
    assert.ok(!isPanelRequest({ type: 'exportTranscript', timestamps: 'clock' }));
    assert.ok(!isPanelRequest({ type: 'exportTranscript' }));
    assert.ok(!isPanelRequest({ type: 'exportTranscript', timestamps: 'relative', selection: { start: 9, end: 3 } }));
    assert.ok(!isPanelRequest({ type: 'exportTranscript', timestamps: 'relative', selection: { start: -1, end: 3 } }));
    assert.ok(responseValidators.exportTranscript({ ok: true, file: '/tmp/x.log' }));
    assert.ok(!responseValidators.exportTranscript({ file: '/tmp/x.log' }));
  });

  it('the chunks a selection covers, and each chunk\'s previous chunk time (the first of a page too)', async () => {
    const s = await m.connectTcp({ port: (peer.address() as net.AddressInfo).port });
    for (const word of ['alpha', 'beta', 'gamma']) {
      const want = s.transcript.counters.bytesOut + word.length;
      await s.send(enc.encode(word));
      await until(() => s.transcript.counters.bytesIn >= want, 'the echo');
      await new Promise((r) => setTimeout(r, 20));
    }
    const model = new SessionPanelModel(s, 'en');
    try {
      const all = s.transcript.chunks();
      assert.equal(all.length, 6);
      // bytes 0..4 "alpha" out, 5..9 "alpha" in, 10..13 "beta" out …
      assert.deepEqual(model.chunksIn(0, 5), [0]);
      assert.deepEqual(model.chunksIn(3, 11), [0, 1, 2], 'a range touching three chunks');
      assert.deepEqual(model.chunksIn(7, 7), [], 'a cursor selects no chunk');
      assert.deepEqual(model.chunksIn(0, 10_000), [0, 1, 2, 3, 4, 5]);

      const page = model.chunks(2, 3, 'text', 'utf-8', 100).chunks;
      assert.deepEqual(page.map((c) => c.seq), [2, 3, 4]);
      assert.deepEqual(page.map((c) => c.prevTime), [all[1].time, all[2].time, all[3].time]);
      assert.equal(model.chunks(0, 1, 'text', 'utf-8', 100).chunks[0].prevTime, undefined, 'nothing before the first chunk');
    } finally {
      model.dispose();
    }
  });
});
