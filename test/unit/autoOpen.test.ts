import * as assert from 'node:assert/strict';
import { otherEnd, shouldAutoOpen, type AutoOpenFacts } from '../../src/core/sessions/autoOpen';
import type { Session } from '../../src/core/sessions/session';
import { SessionManager } from '../../src/core/sessions/sessionManager';
import { until } from '../support';

describe('panels that open by themselves (issue 13 item 3), on real sessions', () => {
  let m: SessionManager;
  beforeEach(() => (m = new SessionManager()));
  afterEach(() => m.dispose());

  const facts = (over: Partial<AutoOpenFacts> = {}): AutoOpenFacts => ({
    setting: 'on',
    openPanels: new Set(),
    serversOpened: new Set(),
    autoOpenedNow: 0,
    cap: 4,
    get: (id) => m.get(id),
    all: () => m.all(),
    ...over,
  });

  it('pairs a Socket Lab client with the connection its server accepted, over 127.0.0.1 and ::1', async () => {
    for (const host of ['127.0.0.1', '::1']) {
      const srv = await m.startTcpServer({ host, port: 0, mode: 'echo' });
      const a = await m.connectTcp({ host, port: srv.localPort! });
      const b = await m.connectTcp({ host, port: srv.localPort! });
      await until(() => srv.children.length === 2 && srv.children.every((c) => c.remotePort !== undefined), 'srv.children.length === 2 && srv.children.every((c) => c.remotePort !== undefined)', 10_000, 5);
      const childOf = (c: Session) => srv.children.find((x) => x.remotePort === c.localPort)!;
      assert.equal(otherEnd(a, m.all()), childOf(a));
      assert.equal(otherEnd(childOf(b), m.all()), b);
      assert.notEqual(otherEnd(a, m.all()), childOf(b));
      assert.equal(otherEnd(srv, m.all()), undefined);
    }
  });

  it('not for the other end of a conversation whose panel is open; yes when neither is open', async () => {
    const srv = await m.startTcpServer({ host: '127.0.0.1', port: 0, mode: 'echo' });
    const c = await m.connectTcp({ host: '127.0.0.1', port: srv.localPort! });
    await until(() => srv.children.length === 1 && srv.children[0].remotePort !== undefined, 'srv.children.length === 1 && srv.children[0].remotePort !== undefined', 10_000, 5);
    const child = srv.children[0];
    assert.equal(shouldAutoOpen(child, facts()), true);
    assert.equal(shouldAutoOpen(child, facts({ openPanels: new Set([c.id]) })), false, 'the client panel is watched');
    assert.equal(shouldAutoOpen(c, facts({ openPanels: new Set([child.id]) })), false);
    assert.equal(shouldAutoOpen(c, facts({ openPanels: new Set([c.id]) })), false, 'already open');
  });

  it('a busy server: at most one per server, none for a sink server, none past the cap, none when off', async () => {
    const echo = await m.startTcpServer({ host: '127.0.0.1', port: 0, mode: 'echo' });
    const sink = await m.startTcpServer({ host: '127.0.0.1', port: 0, mode: 'sink' });
    for (let i = 0; i < 3; i++) {
      await m.connectTcp({ host: '127.0.0.1', port: echo.localPort! });
      await m.connectTcp({ host: '127.0.0.1', port: sink.localPort! });
    }
    await until(() => echo.children.length === 3 && sink.children.length === 3, 'echo.children.length === 3 && sink.children.length === 3', 10_000, 5);
    // open panels only on the server side, as when foreign clients connect
    const [e1, e2] = echo.children;
    assert.equal(shouldAutoOpen(e1, facts()), true);
    assert.equal(shouldAutoOpen(e2, facts({ serversOpened: new Set([echo.id]) })), false, 'one per server');
    for (const s of sink.children) assert.equal(shouldAutoOpen(s, facts()), false, 'sink');
    assert.equal(shouldAutoOpen(e1, facts({ autoOpenedNow: 4 })), false, 'cap');
    assert.equal(shouldAutoOpen(e1, facts({ setting: 'off' })), false);
    assert.equal(shouldAutoOpen(e1, facts({ setting: 'background' })), true);
    // the server itself, whose transcript gathers what its connections receive, never opens one
    assert.equal(shouldAutoOpen(echo, facts()), false, 'a server');
  });
});
