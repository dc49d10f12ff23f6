// How the Connections tree shows a server's accepted connections: all of them when few,
// else one group per state, each paged ("… N more"), so 1,000 clients never become 1,000 rows at once.
import type { SessionState } from './session';

export interface ChildRef {
  readonly id: string;
  readonly state: SessionState;
}

export type ChildRow =
  | { readonly kind: 'session'; readonly id: string }
  | { readonly kind: 'group'; readonly state: SessionState; readonly count: number }
  | { readonly kind: 'more'; readonly state?: SessionState; readonly shown: number; readonly remaining: number };

export interface ChildPaging {
  /** Rows per page, and the most children a server shows before grouping (default 100). */
  readonly page?: number;
  /** How many children of each group (key: state, or '' for an ungrouped server) the user paged to. */
  readonly shown?: ReadonlyMap<string, number>;
}

export const CHILD_PAGE = 100;

/** Live states first, so the connections still talking stay at the top. */
const stateOrder: readonly SessionState[] = ['open', 'connecting', 'half-closed-by-peer', 'half-closed-by-us', 'listening', 'failed', 'closed'];

const ended = (c: ChildRef) => c.state === 'closed' || c.state === 'failed';

function pageSize(p: ChildPaging): number {
  const n = p.page ?? CHILD_PAGE;
  return Number.isInteger(n) && n > 0 ? n : CHILD_PAGE;
}

/** The first `shown` entries of `list` as rows, then one "more" row for the rest. */
function paged(list: readonly ChildRef[], shown: number, state?: SessionState): ChildRow[] {
  const n = Math.min(list.length, shown);
  const rows: ChildRow[] = [];
  for (let i = 0; i < n; i++) rows.push({ kind: 'session', id: list[i].id });
  if (list.length > n) rows.push({ kind: 'more', state, shown: n, remaining: list.length - n });
  return rows;
}

/** Rows directly under a server. */
export function groupChildren(children: readonly ChildRef[], paging: ChildPaging): ChildRow[] {
  const page = pageSize(paging);
  // live connections above closed ones, each in arrival order: a talking client is never buried under closed ones
  if (children.length <= page) return [...children.filter((c) => !ended(c)), ...children.filter(ended)].map((c) => ({ kind: 'session', id: c.id }));
  const counts = new Map<SessionState, number>();
  for (const c of children) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
  // a single state (e.g. 1,000 open clients) gains nothing from a group: page it directly
  if (counts.size === 1) return paged(children, Math.max(page, paging.shown?.get('') ?? page));
  return stateOrder.filter((s) => counts.has(s)).map((state) => ({ kind: 'group', state, count: counts.get(state)! }));
}

/** Rows under one state group of a grouped server. */
export function groupRows(children: readonly ChildRef[], state: SessionState, paging: ChildPaging): ChildRow[] {
  const page = pageSize(paging);
  return paged(children.filter((c) => c.state === state), Math.max(page, paging.shown?.get(state) ?? page), state);
}

/** The paging after a "more" row was clicked: one more page of that group. */
export function showMore(paging: ReadonlyMap<string, number>, row: { state?: SessionState; shown: number }, page = CHILD_PAGE): Map<string, number> {
  const next = new Map(paging);
  next.set(row.state ?? '', row.shown + page);
  return next;
}
