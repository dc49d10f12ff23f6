// A server session that owns the sessions of the connections it accepted (TCP/TLS/Unix servers, WebSocket servers):
// their list, the counts of those forgotten to bound memory, and what the server does to all of them at once.
import type * as net from 'node:net';
import { Emitter } from '../../shared/disposable';
import { SocketLabError } from '../errors';
import { SendOptions, ServerMode, Session, SessionStats } from './session';

type Counters = { bytesIn: number; bytesOut: number; chunksIn: number; chunksOut: number; droppedBytes: number; droppedChunks: number };

export abstract class ParentSession<C extends Session> extends Session {
  abstract readonly server: net.Server;
  protected readonly _children: C[] = [];
  private readonly _onDidAccept = new Emitter<C>();
  /** Fires for each accepted connection (already in `children`). */
  readonly onDidAccept = this._onDidAccept.event;
  /** Closed connections forgotten to bound memory (their byte counts stay in `stats`). */
  forgottenChildren = 0;
  private readonly forgottenTotals: Counters = { bytesIn: 0, bytesOut: 0, chunksIn: 0, chunksOut: 0, droppedBytes: 0, droppedChunks: 0 };
  /** Set by close(): connections arriving after it are refused. */
  protected closing = false;

  get children(): readonly C[] {
    return this._children;
  }

  /** Whether a connection can take a send now. */
  protected abstract canSend(child: C): boolean;

  /** Takes an accepted connection's session into `children` and says so. */
  protected adopt(child: C): void {
    this._children.push(child);
    this._onDidAccept.fire(child);
    this.changed('children');
  }

  /** Forgets closed children (the manager calls this for "Clear closed"). */
  removeChildren(ids: Set<string>): void {
    for (let i = this._children.length - 1; i >= 0; i--) if (ids.has(this._children[i].id)) this._children.splice(i, 1);
  }

  /** Removes the oldest closed children beyond `keep` and returns them; their counts stay in `stats`. */
  forgetClosedBeyond(keep: number): C[] {
    const closed = this._children.filter((c) => !c.isAlive);
    const gone = closed.slice(0, Math.max(0, closed.length - keep));
    if (gone.length === 0) return [];
    for (const c of gone) addCounters(this.forgottenTotals, c.transcript.counters);
    this.removeChildren(new Set(gone.map((c) => c.id)));
    this.forgottenChildren += gone.length;
    this.changed('children');
    return gone;
  }

  override setMode(mode: ServerMode): void {
    super.setMode(mode);
    for (const c of this._children) if (c.isAlive) c.setMode(mode);
  }

  /** A server's counters are the sum of its children's, the forgotten ones included. */
  override get stats(): SessionStats {
    const sum = { ...this.forgottenTotals };
    for (const c of this._children) addCounters(sum, c.transcript.counters);
    const secs = Math.max(0.001, ((this.closedAt ?? Date.now()) - this.startedAt) / 1000);
    return { ...sum, rateIn: sum.bytesIn / secs, rateOut: sum.bytesOut / secs };
  }

  /** Sends to every open accepted connection (a broadcast, as a chat server does). */
  async send(bytes: Uint8Array, opts?: SendOptions): Promise<void> {
    const open = this._children.filter((c) => this.canSend(c));
    if (open.length === 0) throw new SocketLabError('ENOTCONN');
    await Promise.all(open.map((c) => c.send(bytes, opts)));
  }

  async sendStream(): Promise<number> {
    throw new SocketLabError('ENOSERVER', { what: 'a connection can send a file; pick one of the server\'s clients' });
  }

  halfClose(): void {
    for (const c of this._children) c.halfClose();
  }

  close(): void {
    if (this.closing && !this.server.listening) return;
    this.closing = true;
    for (const c of this._children) c.close();
    if (this.server.listening) this.server.close();
    else this.changed('state');
  }

  override dispose(): void {
    if (this.disposed) return;
    super.dispose();
    for (const c of this._children) c.dispose();
    this._onDidAccept.dispose();
  }
}

function addCounters(into: Counters, k: Counters): void {
  for (const key of Object.keys(into) as (keyof Counters)[]) into[key] += k[key];
}
