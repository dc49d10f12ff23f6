// The tests' own peer helper: a line printed in pieces is still one line (the CI of 2026-12-07 failed two e2e tests
// because `print("got", d)` under PYTHONUNBUFFERED reached the test as "got", " ", "hello").
import * as assert from 'node:assert/strict';
import { pythonPeer, until } from '../support';

describe('pythonPeer', function () {
  this.timeout(10_000);
  it('joins a line written in pieces with pauses between them, and keeps lines apart', async () => {
    const peer = await pythonPeer([
      'import sys, time',
      'print(4242, flush=True)',
      'for piece in ["got", " ", "hello\\nnext", " line\\n"]:',
      '    sys.stdout.write(piece); sys.stdout.flush(); time.sleep(0.15)',
    ]);
    try {
      assert.equal(peer.port, 4242);
      await until(() => peer.lines.length >= 3, 'three lines');
      assert.deepEqual(peer.lines, ['4242', 'got hello', 'next line']);
    } finally {
      peer.proc.kill();
    }
  });
});
