// The Connections tree's grouping of large servers (pure logic; the vscode provider only maps rows to items).
import * as assert from 'node:assert/strict';
import { CHILD_PAGE, ChildRef, groupChildren, groupRows, showMore } from '../../src/core/sessions/childGroups';
import type { SessionState } from '../../src/core/sessions/session';

const kids = (n: number, state: SessionState | ((i: number) => SessionState), from = 0): ChildRef[] =>
  Array.from({ length: n }, (_, i) => ({ id: `c${from + i}`, state: typeof state === 'function' ? state(i) : state }));

describe('hardening: Connections tree for large servers', () => {
  it('a server with at most 100 connections lists every one, in order', () => {
    assert.deepEqual(groupChildren(kids(3, 'open'), {}), [
      { kind: 'session', id: 'c0' },
      { kind: 'session', id: 'c1' },
      { kind: 'session', id: 'c2' },
    ]);
    assert.equal(groupChildren(kids(CHILD_PAGE, 'open'), {}).length, CHILD_PAGE);
    assert.deepEqual(groupChildren([], {}), []);
  });

  it('a live connection after 99 closed ones is listed first, not buried at the bottom', () => {
    const rows = groupChildren([...kids(60, 'closed'), ...kids(1, 'open', 60), ...kids(39, (i) => (i % 2 ? 'failed' : 'closed'), 61), ...kids(1, 'half-closed-by-peer', 100)].slice(0, CHILD_PAGE), {});
    assert.equal(rows.length, CHILD_PAGE);
    assert.deepEqual(rows.slice(0, 2), [{ kind: 'session', id: 'c60' }, { kind: 'session', id: 'c0' }]);
    const mixed = groupChildren([...kids(2, 'closed'), ...kids(2, 'open', 2)], {});
    assert.deepEqual(mixed.map((r) => r.kind === 'session' && r.id), ['c2', 'c3', 'c0', 'c1'], 'live first, each part in arrival order');
  });

  it('1,000 connections in one state: 100 rows then "… 900 more", and paging adds 100 at a time', () => {
    const all = kids(1000, 'open');
    const rows = groupChildren(all, {});
    assert.equal(rows.length, 101);
    assert.deepEqual(rows[99], { kind: 'session', id: 'c99' });
    assert.deepEqual(rows[100], { kind: 'more', state: undefined, shown: 100, remaining: 900 });
    let paging = showMore(new Map(), { shown: 100 });
    const more = groupChildren(all, { shown: paging });
    assert.equal(more.length, 201);
    assert.deepEqual(more[200], { kind: 'more', state: undefined, shown: 200, remaining: 800 });
    for (let i = 0; i < 8; i++) paging = showMore(paging, { shown: 200 + i * 100 });
    const last = groupChildren(all, { shown: paging });
    assert.equal(last.length, 1000, 'the last page has no "more" row');
    assert.ok(last.every((r) => r.kind === 'session'));
  });

  it('mixed states: one group per state, live ones first, counts adding up', () => {
    const all = kids(1000, (i) => (i % 10 === 0 ? 'failed' : i % 3 === 0 ? 'closed' : 'open'));
    const rows = groupChildren(all, {});
    assert.deepEqual(rows.map((r) => r.kind === 'group' && r.state), ['open', 'failed', 'closed']);
    const total = rows.reduce((n, r) => n + (r.kind === 'group' ? r.count : 0), 0);
    assert.equal(total, 1000);
    const open = groupRows(all, 'open', {});
    assert.equal(open.length, 101);
    const openCount = all.filter((c) => c.state === 'open').length;
    assert.deepEqual(open[100], { kind: 'more', state: 'open', shown: 100, remaining: openCount - 100 });
    // paging one group leaves the others alone
    const paging = showMore(new Map(), { state: 'open', shown: 100 });
    assert.equal(groupRows(all, 'open', { shown: paging }).length, 201);
    assert.equal(groupRows(all, 'failed', { shown: paging }).length, 100, '100 failed rows, no more row');
  });

  it('a nonsense page size falls back to the default instead of rendering everything or nothing', () => {
    for (const page of [0, -5, 1.5, Number.NaN]) assert.equal(groupChildren(kids(500, 'open'), { page }).length, CHILD_PAGE + 1);
    assert.equal(groupChildren(kids(30, 'open'), { page: 10 }).length, 11);
  });

  it('a paging entry smaller than a page never shows fewer than a page', () => {
    assert.equal(groupChildren(kids(300, 'open'), { shown: new Map([['', 3]]) }).length, 101);
  });
});
