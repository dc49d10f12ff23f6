import * as assert from 'node:assert/strict';
import { PanelClient, createPanelHost } from '../../src/shared/panelKit';
import { SESSION_PANEL, isPanelEvent, isPanelRequest, responseValidators, type PanelEvent, type PanelRequest } from '../../src/shared/sessionPanelProtocol';
import type { Rpc, RpcEnvelope } from '../../src/shared/rpc';

const spec = { input: 'hello', mode: 'text', encoding: 'utf-8', lineEnding: 'none', framing: 'raw' } as const;
const tr = { startOffset: 0, endOffset: 5, firstSeq: 0, nextSeq: 1, droppedBytes: 0, droppedChunks: 0 };

/** A webview client and an extension host wired back to back, the way postMessage connects them. */
function pair(handle: (req: PanelRequest) => unknown) {
  const invalid: string[] = [];
  const events: PanelEvent[] = [];
  const wire: { host?: Rpc<PanelEvent, PanelRequest> } = {};
  const client = new PanelClient(
    SESSION_PANEL,
    (m: RpcEnvelope) => void Promise.resolve().then(() => wire.host!.receive(structuredClone(m))),
    (e) => events.push(e),
    (_raw, reason) => invalid.push(`client: ${reason}`),
    500,
  );
  const host = createPanelHost(
    SESSION_PANEL,
    (m) => void Promise.resolve().then(() => client.receive(structuredClone(m))),
    handle,
    (_raw, reason) => invalid.push(`host: ${reason}`),
  );
  wire.host = host;
  return { client, host, invalid, events };
}

describe('session panel: protocol', () => {
  it('accepts every well-formed request and rejects malformed ones', () => {
    const good: PanelRequest[] = [
      { type: 'ready' },
      { type: 'readRange', offset: 0, length: 4096 },
      { type: 'chunks', fromSeq: 0, limit: 100, render: 'text', encoding: 'gbk', maxBytes: 2048 },
      { type: 'decode', offset: 1, length: 2, encoding: 'utf-8' },
      { type: 'find', query: 'e5 b9', mode: 'hex', encoding: 'utf-8', from: 0 },
      { type: 'validateInput', spec },
      { type: 'send', spec },
      { type: 'sendFile' },
      { type: 'startRepeat', spec, intervalMs: 100, count: 3 },
      { type: 'stopRepeat' },
      { type: 'copy', text: 'x' },
      { type: 'savedMessages' },
      { type: 'sendSaved', id: 'file:///w/m.wire#2' },
      { type: 'sendSaved', id: 'file:///w/m.wire#2', to: '127.0.0.1:9000' },
      { type: 'saveMessage', spec },
    ];
    for (const r of good) assert.equal(isPanelRequest(r), true, JSON.stringify(r));
    const bad: unknown[] = [
      null,
      'readRange',
      { type: 'nope' },
      { type: 'readRange', offset: -1, length: 1 },
      { type: 'readRange', offset: 0, length: 64 * 1024 * 1024 },
      { type: 'readRange', offset: 0.5, length: 1 },
      { type: 'chunks', fromSeq: 0, limit: 100, render: 'html', encoding: 'utf-8', maxBytes: 1 },
      { type: 'send', spec: { ...spec, mode: 'binary' } },
      { type: 'send', spec: { ...spec, framing: 'len3be' } },
      { type: 'send' },
      { type: 'startRepeat', spec, intervalMs: 0, count: 3 },
      { type: 'copy', text: 42 },
      { type: 'sendSaved', id: 5 },
      { type: 'sendSaved', id: 'x', to: 9000 },
      { type: 'saveMessage', spec: { ...spec, mode: 'binary' } },
    ];
    for (const r of bad) assert.equal(isPanelRequest(r), false, JSON.stringify(r));
  });

  it('validates events and answers the webview receives', () => {
    const session = { id: 's1', kind: 'tcp-client', label: '127.0.0.1:1', state: 'open', closed: false, multiPeer: false, canSend: true, encoding: 'utf-8', events: [{ time: 1, state: 'open', seq: 0 }] };
    assert.equal(isPanelEvent({ type: 'transcriptGrew', transcript: tr }), true);
    assert.equal(isPanelEvent({ type: 'stateChanged', session: { ...session, events: [{ time: 1, state: 'closed', seq: -1 }] } }), false, 'an event before chunk 0');
    assert.equal(isPanelEvent({ type: 'sessionClosed', session }), true);
    assert.equal(isPanelEvent({ type: 'transcriptGrew', transcript: { ...tr, startOffset: 9 } }), false, 'start after end');
    assert.equal(isPanelEvent({ type: 'stateChanged', session: { ...session, closed: 'no' } }), false);
    assert.equal(responseValidators.readRange({ offset: 0, bytes: new Uint8Array(2), spans: [{ offset: 0, length: 2, dir: 'in', seq: 0 }] }), true);
    assert.equal(responseValidators.readRange({ offset: 0, bytes: [1, 2], spans: [] }), false, 'bytes must be a Uint8Array');
    assert.equal(responseValidators.send({ ok: false, error: { code: 'EBADHEX', message: 'x', index: 3 } }), true);
    assert.equal(responseValidators.send({ ok: true }), false);
  });

  it('answers typed requests across the channel, bytes intact', async () => {
    const { client, invalid } = pair((req) => {
      if (req.type === 'readRange') return { offset: req.offset, bytes: Uint8Array.from([0xe5, 0xb9, 0xb4]), spans: [{ offset: req.offset, length: 3, dir: 'out', seq: 0 }] };
      throw new Error('unexpected');
    });
    const r = await client.call({ type: 'readRange', offset: 7, length: 3 });
    assert.deepEqual([...r.bytes], [0xe5, 0xb9, 0xb4]);
    assert.equal(r.offset, 7);
    assert.deepEqual(invalid, []);
  });

  it('drops and reports malformed messages on both sides; a handler that throws answers with an error', async () => {
    const seen: string[] = [];
    const { client, host, invalid, events } = pair((req) => {
      seen.push(req.type);
      if (req.type === 'send') throw new Error('socket gone');
      if (req.type === 'decode') return { parts: 'not an array' };
      return {};
    });
    await host.receive({ kind: 'req', id: 1, body: { type: 'readRange', offset: -5, length: 1 } });
    await host.receive({ hello: 'world' });
    assert.deepEqual(seen, [], 'invalid requests never reach the handler');
    assert.equal(invalid.filter((s) => s.startsWith('host')).length, 2);
    await assert.rejects(client.call({ type: 'send', spec }), /socket gone/);
    await assert.rejects(client.call({ type: 'decode', offset: 0, length: 1, encoding: 'utf-8' }), /bad answer to decode/);
    await client.receive({ kind: 'evt', body: { type: 'transcriptGrew', transcript: { nope: 1 } } });
    await client.receive({ kind: 'evt', body: { type: 'transcriptGrew', transcript: tr } });
    assert.equal(events.length, 1);
    assert.ok(invalid.some((s) => s === 'client: bad answer to decode'));
    assert.ok(invalid.some((s) => s === 'client: body failed validation'));
  });
});
