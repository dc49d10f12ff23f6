// The Connections tree: servers (with their accepted clients), clients and UDP sockets.
// Refreshes are coalesced (at most ~4 per second) so a flood of data never floods the view, and only rows whose text
// changed are refreshed: VS Code forgets a refreshed row's click command, so a needless refresh turns a click into nothing.
import * as vscode from 'vscode';
import { tlsRows } from './tlsText';
import { errorLanguageFor, localizeError } from '../../core/errors';
import { framingName } from '../../core/codec/framing';
import { isServer as ownsChildren, type ServerSession } from '../../core/sessions/sessionManager';
import { WsConnectionSession } from '../../core/sessions/wsSession';
import type { ServerBehaviour, Session, SessionState } from '../../core/sessions/session';
import { UdpSession } from '../../core/sessions/udpSession';
import { CHILD_PAGE, ChildRef, ChildRow, groupChildren, groupRows, showMore } from '../../core/sessions/childGroups';
import type { SessionManager } from '../../core/sessions/sessionManager';
import type { ProgramWatch, ProgramWatchManager } from '../../core/programs/programWatcher';
import { isProgramNode, programChildren, programNode, programParent, programRoots, programTreeItem, type ProgramNode } from '../systemSockets/programNodes';
import { formatBytes } from '../../shared/format';

const REFRESH_MS = 250;

export function stateText(state: SessionState): string {
  switch (state) {
    case 'connecting':
      return vscode.l10n.t('connecting');
    case 'listening':
      return vscode.l10n.t('listening');
    case 'open':
      return vscode.l10n.t('open');
    case 'half-closed-by-peer':
      return vscode.l10n.t('half-closed by peer');
    case 'half-closed-by-us':
      return vscode.l10n.t('half-closed by us');
    case 'closed':
      return vscode.l10n.t('closed');
    case 'failed':
      return vscode.l10n.t('failed');
  }
}

function kindText(s: Session): string {
  switch (s.kind) {
    case 'tcp-server':
      return vscode.l10n.t('TCP server');
    case 'tcp-client':
      return vscode.l10n.t('TCP client');
    case 'tcp-accepted':
      return vscode.l10n.t('TCP connection accepted by the server');
    case 'udp':
      return vscode.l10n.t('UDP socket');
    case 'unix-server':
      return vscode.l10n.t('Unix server');
    case 'unix-client':
      return vscode.l10n.t('Unix client');
    case 'unix-accepted':
      return vscode.l10n.t('Unix connection accepted by the server');
    case 'tls-server':
      return vscode.l10n.t('TLS server');
    case 'tls-client':
      return vscode.l10n.t('TLS client');
    case 'tls-accepted':
      return vscode.l10n.t('TLS connection accepted by the server');
    case 'ws-server':
      return vscode.l10n.t('WebSocket server');
    case 'ws-client':
      return vscode.l10n.t('WebSocket client');
    case 'ws-accepted':
      return vscode.l10n.t('WebSocket connection accepted by the server');
  }
}

function icon(s: Session): vscode.ThemeIcon {
  const st = s.state;
  if (st === 'failed') return new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
  if (st === 'closed') return new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground'));
  if (st === 'connecting') return new vscode.ThemeIcon('loading~spin');
  if (st === 'half-closed-by-peer' || st === 'half-closed-by-us') return new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('charts.yellow'));
  const green = new vscode.ThemeColor('charts.green');
  if (s.kind === 'tcp-server' || s.kind === 'unix-server') return new vscode.ThemeIcon('radio-tower', green);
  if (s.kind === 'tls-server') return new vscode.ThemeIcon('workspace-trusted', green);
  if (s.kind === 'udp') return new vscode.ThemeIcon('broadcast', green);
  if (s.kind === 'ws-server') return new vscode.ThemeIcon('globe', green);
  if (s.kind.startsWith('ws-')) return new vscode.ThemeIcon('arrow-swap', green);
  // a TLS connection whose server was not verified (--insecure) says so in its icon
  if (s.kind.startsWith('tls-')) return new vscode.ThemeIcon('lock', s.tls?.verifyError ? new vscode.ThemeColor('charts.yellow') : green);
  return new vscode.ThemeIcon('plug', green);
}

/** A server's behaviour in plain words. */
export function modeText(mode: ServerBehaviour): string {
  switch (mode) {
    case 'rules':
      return vscode.l10n.t('answer by rules');
    case 'manual':
      return vscode.l10n.t('answer by hand');
    case 'print-only':
      return vscode.l10n.t('print only');
    case 'echo':
      return vscode.l10n.t('echo');
    case 'upper':
      return vscode.l10n.t('upper');
    case 'sink':
      return vscode.l10n.t('sink');
  }
}

/** What a session is, in plain words with the end the label does not show (two clients of one server differ). */
export function roleText(s: Session): string {
  switch (s.kind) {
    case 'tcp-client':
      return s.localPort !== undefined ? vscode.l10n.t('client from port {0}', s.localPort) : vscode.l10n.t('client');
    case 'tls-client':
      return s.localPort !== undefined ? vscode.l10n.t('TLS client from port {0}', s.localPort) : vscode.l10n.t('TLS client');
    case 'tls-accepted':
      return s.localPort !== undefined ? vscode.l10n.t('TLS, accepted on port {0}', s.localPort) : vscode.l10n.t('accepted');
    case 'tls-server':
      return vscode.l10n.t('TLS server · {0}', modeText(s.behaviour));
    case 'unix-client':
      return vscode.l10n.t('Unix client');
    case 'tcp-accepted':
      return s.localPort !== undefined ? vscode.l10n.t('accepted on port {0}', s.localPort) : vscode.l10n.t('accepted');
    case 'unix-accepted':
      return vscode.l10n.t('accepted');
    case 'tcp-server':
      return vscode.l10n.t('TCP server · {0}', modeText(s.behaviour));
    case 'unix-server':
      return vscode.l10n.t('Unix server · {0}', modeText(s.behaviour));
    case 'udp':
      return vscode.l10n.t('UDP · {0}', modeText(s.behaviour));
    case 'ws-server':
      return vscode.l10n.t('WebSocket server · {0}', modeText(s.behaviour));
    case 'ws-client':
      return s.localPort !== undefined ? vscode.l10n.t('WebSocket client from port {0}', s.localPort) : vscode.l10n.t('WebSocket client');
    case 'ws-accepted':
      return s.localPort !== undefined ? vscode.l10n.t('WebSocket, accepted on port {0}', s.localPort) : vscode.l10n.t('accepted');
  }
}

/** A row of the pickers that ask "which session?": label, and role and state in plain words. */
export function sessionPickItem(s: Session): vscode.QuickPickItem {
  return { label: s.label, description: `${roleText(s)} · ${stateText(s.state)}` };
}

export function sessionDescription(s: Session): string {
  const st = s.stats;
  const parts = [stateText(s.state), `↑${formatBytes(st.bytesOut)} ↓${formatBytes(st.bytesIn)}`];
  if (s.kind.endsWith('-server') || s.kind === 'udp') parts.push(modeText(s.behaviour));
  // two clients of one server share a label: the local port tells them apart
  if (s.kind.startsWith('tls-') && s.tls) parts.push(s.tls.protocol);
  if ((s.kind === 'tcp-client' || s.kind === 'tls-client' || s.kind === 'ws-client') && s.localPort !== undefined) parts.push(vscode.l10n.t('from port {0}', s.localPort));
  // a WebSocket connection's subprotocol, when the two ends agreed on one
  if (s instanceof WsConnectionSession && s.wsInfo.protocol) parts.push(vscode.l10n.t('subprotocol {0}', s.wsInfo.protocol));
  // a UDP socket's multicast groups and broadcast show in its row too, not only in its tooltip
  if (s instanceof UdpSession && s.groups.length) parts.push(vscode.l10n.t('member of {0}', s.groups.join(', ')));
  if (s instanceof UdpSession && s.broadcast) parts.push(vscode.l10n.t('broadcast on'));
  // a UDP flood loses datagrams in the kernel: show the count, never drop silently
  if (st.kernelDrops) parts.push(vscode.l10n.t('{0} datagrams dropped by the kernel', st.kernelDrops));
  // closed connections beyond socketLab.transcript.closedConnectionsKept are forgotten: say how many
  if (ownsChildren(s) && s.forgottenChildren) parts.push(vscode.l10n.t('{0} closed connections forgotten', s.forgottenChildren));
  if (s.error) parts.push(s.error.code);
  return parts.join(' · ');
}

/** A group ("open (812)") or paging row ("… 700 more") under a server with many connections. */
export interface ChildRowNode {
  readonly serverId: string;
  readonly row: Exclude<ChildRow, { kind: 'session' }>;
}
function isChildRowNode(x: unknown): x is ChildRowNode {
  return typeof x === 'object' && x !== null && 'serverId' in x && 'row' in x;
}
type Node = Session | ProgramNode | ChildRowNode;
const refs = (server: ServerSession): ChildRef[] => server.children.map((c) => ({ id: c.id, state: c.state }));

/** 14:30:14, local 24-hour time: the clock the session panel's conversation shows (without its milliseconds). */
function clockTime(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

export class ConnectionsTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<Node | Node[] | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private timer?: NodeJS.Timeout;
  private lastFire = 0;
  private readonly subs: vscode.Disposable[] = [];
  /** How many refreshes were sent to VS Code (tests check the coalescing with it). */
  refreshCount = 0;
  /** Per server: how far the user paged each state group ("… N more"). */
  private readonly paging = new Map<string, Map<string, number>>();
  private readonly lastKernelDrops = new Map<string, number>();
  /** Sessions whose row may have changed since the last refresh, or 'all' when rows were added, removed or regrouped. */
  private pending: Set<Session> | 'all' = 'all';
  /** The description each session's row was last given (a row is refreshed only when its text changes). */
  private readonly shown = new Map<Session, string>();
  /** Program runs whose row or children changed (their own rows only, not the whole tree). */
  private pendingPrograms = new Set<ProgramWatch>();

  constructor(private readonly manager: SessionManager, private readonly programs?: ProgramWatchManager) {
    const d = manager.onDidChange((e) => {
      // data and mode change one row; anything else (added, removed, a state that regroups a server's rows) the tree
      if (e.session && (e.kind === 'data' || e.kind === 'mode')) {
        if (this.pending !== 'all') {
          this.pending.add(e.session);
          // a server's row sums its connections' bytes
          const parent = e.session.parentId === undefined ? undefined : this.manager.get(e.session.parentId);
          if (parent) this.pending.add(parent);
        }
      } else this.pending = 'all';
      this.schedule();
    });
    this.subs.push({ dispose: () => d.dispose() });
    // programs run with socketLab.file.run/debug show as a top group with their OS sockets
    const p = programs?.onDidChange((w) => {
      if (w) this.pendingPrograms.add(w);
      else this.pending = 'all';
      this.schedule();
    });
    if (p) this.subs.push(p);
  }

  /** At most one refresh per REFRESH_MS, whatever the event rate. */
  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastFire + REFRESH_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastFire = Date.now();
      const pending = this.pending;
      this.pending = new Set();
      const programsChanged = [...this.pendingPrograms].filter((w) => this.programs?.all().includes(w)).map(programNode);
      this.pendingPrograms = new Set();
      if (pending === 'all') {
        // forget paging, drop counts and shown rows of sessions that were cleared
        for (const id of this.paging.keys()) if (!this.manager.get(id)) this.paging.delete(id);
        for (const id of this.lastKernelDrops.keys()) if (!this.manager.get(id)) this.lastKernelDrops.delete(id);
        this.shown.clear();
        this.refreshCount++;
        this._onDidChangeTreeData.fire(undefined);
      } else {
        const changed: Node[] = [...pending].filter((s) => this.shown.has(s) && this.shown.get(s) !== sessionDescription(s));
        changed.push(...programsChanged);
        if (changed.length) {
          this.refreshCount++;
          this._onDidChangeTreeData.fire(changed);
        }
      }
      this.refreshKernelDrops();
    }, wait);
  }

  /** Reads UDP sockets' kernel drop counters off the data path; refreshes again only if one changed. */
  private refreshKernelDrops(): void {
    const udp = this.manager.all().filter((s): s is UdpSession => s instanceof UdpSession && s.isAlive && s.isBound);
    if (udp.length === 0) return;
    void Promise.all(udp.map((u) => u.refreshKernelDrops().catch(() => undefined))).then((drops) => {
      let changed = false;
      udp.forEach((u, i) => {
        const d = drops[i] ?? 0;
        if (d !== (this.lastKernelDrops.get(u.id) ?? 0)) {
          changed = true;
          if (this.pending !== 'all') this.pending.add(u);
        }
        this.lastKernelDrops.set(u.id, d);
      });
      if (changed && this.subs.length) this.schedule();
    });
  }

  /** The "… N more" row's command: one more page of that group. */
  /** Where a session is logged (Start Log), shown in its row and tooltip. */
  logFileOf?: (s: Session) => string | undefined;

  /** Every row again (a log started or stopped). */
  refreshAll(): void {
    this.pending = 'all';
    this.schedule();
  }

  showMore(args: { serverId?: unknown; state?: unknown; shown?: unknown } | undefined): void {
    const serverId = typeof args?.serverId === 'string' ? args.serverId : undefined;
    const shown = typeof args?.shown === 'number' && Number.isInteger(args.shown) && args.shown >= 0 ? args.shown : undefined;
    if (!serverId || shown === undefined || !this.manager.get(serverId)) return;
    const state = typeof args?.state === 'string' ? (args.state as SessionState) : undefined;
    this.paging.set(serverId, showMore(this.paging.get(serverId) ?? new Map(), { state, shown }, CHILD_PAGE));
    this.pending = 'all'; // rows are added under the server
    this.schedule();
  }

  getTreeItem(s: Node): vscode.TreeItem {
    if (isProgramNode(s)) return programTreeItem(s);
    if (isChildRowNode(s)) return this.rowItem(s);
    const isServer = ownsChildren(s);
    // servers start expanded even while empty: VS Code keeps an item's first collapsible state per id
    const item = new vscode.TreeItem(s.label, isServer ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    item.id = s.id;
    item.description = sessionDescription(s);
    this.shown.set(s, item.description);
    // right after the state, where a narrow sidebar still shows it
    if (this.logFileOf?.(s)) item.description = item.description.replace(' · ', ` · ${vscode.l10n.t('logging')} · `);
    item.iconPath = icon(s);
    item.contextValue = `session:${s.kind}:${s.state}`;
    item.command = { command: 'socketLab.session.openPanel', title: vscode.l10n.t('Open Session Panel'), arguments: [{ sessionId: s.id }] };
    item.accessibilityInformation = { label: `${kindText(s)} ${s.label} ${item.description}` };
    return item;
  }

  /** The tooltip is made when the user hovers, so it shows the current counts without refreshing the row. */
  resolveTreeItem(item: vscode.TreeItem, s: Node): vscode.TreeItem {
    if (!isProgramNode(s) && !isChildRowNode(s)) item.tooltip = this.tooltip(s);
    return item;
  }

  private tooltip(s: Session): vscode.MarkdownString {
    const st = s.stats;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${kindText(s)}** \`${s.label}\`\n\n`);
    const rows: [string, string][] = [[vscode.l10n.t('State'), stateText(s.state)]];
    if (s.localPort !== undefined) rows.push([vscode.l10n.t('Local'), `${s.localAddress}:${s.localPort}`]);
    if (s.remotePort !== undefined && !s.kind.endsWith('-server')) rows.push([vscode.l10n.t('Remote'), `${s.remoteAddress}:${s.remotePort}`]);
    if (s.path) rows.push([vscode.l10n.t('Path'), s.path]);
    rows.push([vscode.l10n.t('Behaviour'), s.mode], [vscode.l10n.t('Framing'), framingName(s.framing)]);
    if (s instanceof UdpSession && s.groups.length) rows.push([vscode.l10n.t('Multicast groups'), s.groups.join(', ')]);
    if (s instanceof UdpSession && s.broadcast) rows.push([vscode.l10n.t('Broadcast'), vscode.l10n.t('on (SO_BROADCAST)')]);
    rows.push([vscode.l10n.t('Sent'), vscode.l10n.t('{0} in {1} chunks', formatBytes(st.bytesOut), st.chunksOut)]);
    rows.push([vscode.l10n.t('Received'), vscode.l10n.t('{0} in {1} chunks', formatBytes(st.bytesIn), st.chunksIn)]);
    rows.push([vscode.l10n.t('Rate since start'), `↑${formatBytes(Math.round(st.rateOut))}/s ↓${formatBytes(Math.round(st.rateIn))}/s`]);
    if (st.droppedChunks) rows.push([vscode.l10n.t('Dropped from the transcript'), vscode.l10n.t('{0} in {1} chunks (oldest first)', formatBytes(st.droppedBytes), st.droppedChunks)]);
    rows.push([vscode.l10n.t('Started'), clockTime(s.startedAt)]);
    if (s.closedAt) rows.push([vscode.l10n.t('Ended'), clockTime(s.closedAt)]);
    const log = this.logFileOf?.(s);
    if (log) rows.push([vscode.l10n.t('Logged to'), log]);
    rows.push(...tlsRows(s));
    md.appendMarkdown(rows.map(([k, v]) => `${k}: ${v.replace(/[\\`*_[\]<>]/g, '\\$&')}`).join('  \n'));
    if (s.error) md.appendMarkdown(`\n\n$(error) **${s.error.code}**: ${localizeError(s.error, errorLanguageFor(vscode.env.language))}`);
    return md;
  }

  private rowItem(n: ChildRowNode): vscode.TreeItem {
    const r = n.row;
    if (r.kind === 'group') {
      const item = new vscode.TreeItem(`${stateText(r.state)} (${r.count})`, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `${n.serverId}/state/${r.state}`;
      item.iconPath = new vscode.ThemeIcon('list-tree');
      item.contextValue = 'sessionGroup';
      return item;
    }
    const item = new vscode.TreeItem(vscode.l10n.t('… {0} more', r.remaining), vscode.TreeItemCollapsibleState.None);
    item.id = `${n.serverId}/more/${r.state ?? ''}`;
    item.iconPath = new vscode.ThemeIcon('ellipsis');
    item.contextValue = 'sessionMore';
    item.command = { command: 'socketLab.connections.showMore', title: vscode.l10n.t('Show more connections'), arguments: [{ serverId: n.serverId, state: r.state, shown: r.shown }] };
    return item;
  }

  /** Rows → tree nodes; a server with hundreds of connections shows groups and pages, not every row. */
  private nodes(server: ServerSession, rows: ChildRow[]): Node[] {
    const byId = new Map(server.children.map((c) => [c.id, c]));
    return rows.map((r) => (r.kind === 'session' ? byId.get(r.id)! : { serverId: server.id, row: r }));
  }

  getChildren(s?: Node): Node[] {
    if (!s) return [...programRoots(this.programs), ...this.manager.roots()];
    if (isProgramNode(s)) return programChildren(s);
    if (isChildRowNode(s)) {
      const server = this.manager.get(s.serverId);
      if (!server || !ownsChildren(server) || s.row.kind !== 'group') return [];
      return this.nodes(server, groupRows(refs(server), s.row.state, { shown: this.paging.get(server.id) }));
    }
    return ownsChildren(s) ? this.nodes(s, groupChildren(refs(s), { shown: this.paging.get(s.id) })) : [];
  }

  getParent(s: Node): Node | undefined {
    if (isProgramNode(s)) return programParent(s);
    if (isChildRowNode(s)) return this.manager.get(s.serverId);
    const server = s.parentId ? this.manager.get(s.parentId) : undefined;
    if (!server || !ownsChildren(server)) return server;
    // grouped servers hold their children inside a state group
    const group = groupChildren(refs(server), { shown: this.paging.get(server.id) }).find((r) => r.kind === 'group' && r.state === s.state);
    return group && group.kind === 'group' ? { serverId: server.id, row: group } : server;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const d of this.subs.splice(0)) d.dispose();
    this._onDidChangeTreeData.dispose();
  }
}
