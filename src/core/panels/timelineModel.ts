// What the socket-call timeline shows, over a run's CallLog and without VS Code: one lane per socket (a process's
// fd), the calls of one time window as bars (bounded: never the whole log), the links from each send to the recvs
// that returned its bytes, one call's details and bytes, filters by socket and by call name.
import * as path from 'node:path';
import { type CallLog, SENDS } from '../trace/callLog';
import type { CallRecord } from '../trace/callTrace';
import { chunksFor, chunksIn, directionChunks, SegmentIndex, sessionBetween, type DirectionChunks, type PacketSource, type SessionEnd } from '../trace/wireLinks';
import {
  MAX_LANES, MAX_WINDOW_CALLS, MAX_WINDOW_LINKS, MAX_WINDOW_PACKETS,
  type LaneKind, type TimelineCall, type TimelineCallDetail, type TimelineChunk, type TimelineChunkLink, type TimelineLane, type TimelineLink,
  type TimelinePackets, type TimelineQuery, type TimelineSummary, type TimelineWindow, type TimelineWire,
} from '../../shared/timelinePanelProtocol';

/** Most bytes a call's detail carries (the recorder keeps the first 64 by default). */
const MAX_DETAIL_BYTES = 65536;

/** Most connections (two ends) the run's captures are read for. */
const MAX_PAIRS = 2000;

/** A capture the timeline may link to: its id, what it is, its packets. */
export interface WireCapture {
  readonly id: string;
  readonly label: string;
  readonly packets: PacketSource;
}

/** What else Socket Lab saw of the run's bytes: its captures (newest last) and its sessions. */
export interface WireSources {
  captures(): readonly WireCapture[];
  sessions(): Iterable<SessionEnd>;
}

/** Where a process's fd stands: which socket it is now (a closed fd's number comes back for the next socket). */
interface FdState {
  gen: number;
  used: boolean;
  closed: boolean;
}

/**
 * Gives each call its lane: `pid:fd`, `pid:fd.N` for the Nth later socket that reused the number, `pid:-` for calls
 * on no socket (select). Fed the run's calls in order, once each.
 */
class LaneKeys {
  private readonly keys = new WeakMap<CallRecord, string>();
  private readonly fds = new Map<string, FdState>();
  /** The next call number to read from the log. */
  next = 0;

  private state(pidFd: string): FdState {
    let st = this.fds.get(pidFd);
    if (!st) this.fds.set(pidFd, (st = { gen: 0, used: false, closed: false }));
    return st;
  }

  add(r: CallRecord): void {
    const pid = r.pid ?? 0;
    if (typeof r.fd !== 'number') {
      this.keys.set(r, `${pid}:-`);
      return;
    }
    const st = this.state(`${pid}:${r.fd}`);
    if (st.closed || (r.call === 'socket' && st.used)) {
      st.gen++;
      st.closed = false;
    }
    st.used = true;
    this.keys.set(r, st.gen ? `${pid}:${r.fd}.${st.gen}` : `${pid}:${r.fd}`);
    if (r.call === 'close') st.closed = true;
    if (r.call === 'accept' && typeof r.new_fd === 'number') {
      const fresh = this.state(`${pid}:${r.new_fd}`);
      if (fresh.used) Object.assign(fresh, { gen: fresh.gen + 1, used: false, closed: false });
    }
  }

  of(r: CallRecord): string {
    return this.keys.get(r) ?? `${r.pid ?? 0}:${typeof r.fd === 'number' ? r.fd : '-'}`;
  }
}

/** What a lane's calls say about its socket. */
function kindFrom(r: CallRecord, was: LaneKind): LaneKind {
  if (r.call === 'listen') return 'listener';
  if (was === 'listener') return was;
  if (r.call === 'socket') {
    if (r.family === 'AF_UNIX') return 'unix';
    if (r.type === 'SOCK_DGRAM') return 'udp';
    if (r.type === 'SOCK_STREAM') return 'tcp';
  }
  if (was !== 'none') return was;
  const addr = r.local ?? r.peer;
  if (addr && (addr.startsWith('/') || addr.startsWith('@'))) return 'unix';
  if (r.call === 'sendto' || r.call === 'recvfrom' || r.call === 'recvfrom_into') return 'udp';
  if (r.call === 'accept' || r.call.startsWith('send') || r.call.startsWith('recv') || r.call.startsWith('connect')) return 'tcp';
  return was;
}

interface MutableLane {
  key: string;
  pid: number;
  fd?: number;
  kind: LaneKind;
  local?: string;
  peer?: string;
  calls: number;
}

export class TimelineModel {
  private readonly laneKeys = new LaneKeys();
  /** Both ends of each connection the run's calls name (`local|peer`), which the captures are read for. */
  private readonly pairs = new Map<string, readonly [string, string]>();
  private readonly indexes = new Map<string, SegmentIndex>();

  constructor(
    readonly log: CallLog,
    readonly title: string,
    private readonly wire?: WireSources,
  ) {}

  /** Gives the calls that came since the last look their lanes. */
  private catchUp(): void {
    const k = this.laneKeys;
    for (k.next = Math.max(k.next, this.log.evicted); k.next < this.log.total; k.next++) {
      const r = this.log.at(k.next);
      if (!r) continue;
      k.add(r);
      if (r.local && r.peer && !r.call.startsWith('sendto') && !r.call.startsWith('recvfrom') && this.pairs.size < MAX_PAIRS) this.pairs.set(`${r.local}|${r.peer}`, [r.local, r.peer]);
    }
  }

  /** Each capture's index of the run's connections (newest capture first); forgets captures that are gone. */
  private captureIndexes(): { capture: WireCapture; index: SegmentIndex }[] {
    const captures = this.wire?.captures() ?? [];
    for (const id of this.indexes.keys()) if (!captures.some((c) => c.id === id)) this.indexes.delete(id);
    return [...captures].reverse().map((capture) => {
      let index = this.indexes.get(capture.id);
      if (!index || index.source !== capture.packets) this.indexes.set(capture.id, (index = new SegmentIndex(capture.packets)));
      index.watch(this.pairs.values());
      return { capture, index };
    });
  }

  /** The traced connections' packets in [from, to] (s from the first call), from the newest capture that has any. */
  private packets(from: number, to: number): TimelinePackets | undefined {
    const t0 = this.log.first;
    if (t0 === undefined) return undefined;
    for (const { capture, index } of this.captureIndexes()) {
      if (!index.seen) continue;
      const { packets, omitted } = index.packets(t0 + from, t0 + to, MAX_WINDOW_PACKETS);
      const items = packets.map((p) => ({ frame: p.index + 1, t: p.t - t0, len: p.len, flags: p.flags, src: p.src, dst: p.dst }));
      return { captureId: capture.id, label: capture.label, items, omitted };
    }
    return undefined;
  }

  /** A send's or recv's byte range, the frames that carried it (the newest capture that can say) and a session's chunks. */
  private wireOf(r: CallRecord): TimelineWire | undefined {
    const range = this.log.streamRange(r);
    if (!range) return undefined;
    let segments: TimelineWire['segments'];
    for (const { capture, index } of this.captureIndexes()) {
      const link = index.segmentsFor(range);
      if ('frames' in link) {
        segments = { captureId: capture.id, frames: link.frames };
        break;
      }
      if (link.missing !== 'notCaptured' || !segments) segments = link;
    }
    const chunks = this.wire ? chunksFor(range, this.wire.sessions()) : undefined;
    return { start: range.start, end: range.end, ...(segments ? { segments } : {}), ...(chunks ? { chunks } : {}) };
  }

  private laneKey(r: CallRecord): string {
    return this.laneKeys.of(r);
  }

  private rel(r: CallRecord): number {
    return r.t - (this.log.first ?? r.t);
  }

  /** Lanes (first seen first), call names, the run's length and its counts. */
  summary(): TimelineSummary {
    this.catchUp();
    const lanes = new Map<string, MutableLane>();
    const names = new Set<string>();
    let duration = 0;
    for (const r of this.log.records()) {
      names.add(r.call);
      duration = Math.max(duration, this.rel(r) + (r.blocked_ms ?? 0) / 1000);
      const key = this.laneKey(r);
      let lane = lanes.get(key);
      if (!lane) lanes.set(key, (lane = { key, pid: r.pid ?? 0, fd: typeof r.fd === 'number' ? r.fd : undefined, kind: 'none', calls: 0 }));
      lane.calls++;
      lane.kind = kindFrom(r, lane.kind);
      if (r.local && r.call !== 'bind') lane.local = r.local;
      else if (r.local && !lane.local) lane.local = r.local;
      if (r.peer && r.call !== 'sendto' && r.call !== 'recvfrom' && lane.kind !== 'listener') lane.peer = r.peer;
    }
    const all = this.withSocketLabLanes([...lanes.values()]);
    return {
      title: this.title,
      duration,
      lanes: all.slice(0, MAX_LANES),
      lanesOmitted: Math.max(0, all.length - MAX_LANES),
      callNames: [...names].sort().slice(0, 200),
      kept: this.log.records().length,
      total: this.log.total,
      evicted: this.log.evicted,
      dropped: this.log.droppedByProgram,
    };
  }

  /** After each traced connection's lane, the lane of the Socket Lab session at its other end (once). */
  private withSocketLabLanes(lanes: readonly TimelineLane[]): TimelineLane[] {
    const sessions = this.wire ? [...this.wire.sessions()] : [];
    const out: TimelineLane[] = [];
    const placed = new Set<string>();
    for (const lane of lanes) {
      out.push(lane);
      const found = lane.local && lane.peer && lane.kind === 'tcp' ? sessionBetween(lane.local, lane.peer, sessions) : undefined;
      if (!found || placed.has(found.session.id)) continue;
      placed.add(found.session.id);
      const s = found.session;
      out.push({ key: `sl:${s.id}`, pid: 0, kind: 'tcp', local: lane.peer, peer: lane.local, calls: s.transcript.nextSeq, socketLab: s.label.slice(0, 1000) });
    }
    return out;
  }

  /**
   * The chunks of the Socket Lab sessions at the other end that fall in [from, to] (lanes filtered), and which of
   * `shown`'s sends and recvs moved their bytes.
   */
  private socketLabWindow(q: TimelineQuery, shown: Map<CallRecord, number>, lanes: Set<string> | undefined): { chunks: TimelineChunk[]; chunkLinks: TimelineChunkLink[] } {
    const chunks: TimelineChunk[] = [];
    const chunkLinks: TimelineChunkLink[] = [];
    const t0 = this.log.first;
    if (!this.wire || t0 === undefined) return { chunks, chunkLinks };
    const sessions = [...this.wire.sessions()];
    const drawn = new Set<string>();
    for (const [a, b] of this.pairs.values()) {
      const s = sessionBetween(a, b, sessions)?.session;
      const lane = s && `sl:${s.id}`;
      if (!s || !lane || drawn.has(lane) || (lanes && !lanes.has(lane))) continue;
      drawn.add(lane);
      for (const c of s.transcript.chunks()) {
        const t = c.time / 1000 - t0;
        if (t >= q.from && t <= q.to && chunks.length < MAX_WINDOW_CALLS) chunks.push({ lane, sessionId: s.id, seq: c.seq, dir: c.dir, t, len: c.length });
      }
    }
    const shownChunks = new Set(chunks.map((c) => `${c.lane}#${c.seq}`));
    const offsets = new Map<string, DirectionChunks | undefined>();
    for (const [r, id] of shown) {
      const range = this.log.streamRange(r);
      const found = range && sessionBetween(range.from, range.to, sessions);
      if (!range || !found) continue;
      const key = `${found.session.id}:${found.dir}`;
      if (!offsets.has(key)) offsets.set(key, directionChunks(found.session.transcript, found.dir));
      const d = offsets.get(key);
      const lane = `sl:${found.session.id}`;
      for (const seq of d ? chunksIn(d, range.start, range.end) : []) {
        if (shownChunks.has(`${lane}#${seq}`) && chunkLinks.length < MAX_WINDOW_LINKS) chunkLinks.push({ call: id, lane, seq });
      }
    }
    return { chunks, chunkLinks };
  }

  private bar(r: CallRecord, id: number): TimelineCall {
    return {
      id,
      lane: this.laneKey(r),
      call: r.call,
      t: this.rel(r),
      ms: r.blocked_ms ?? 0,
      ...(typeof r.returned === 'number' && r.returned >= 0 ? { returned: r.returned } : {}),
      ...(r.error ? { error: true } : {}),
      ...(typeof r.line === 'number' && r.line >= 0 ? { line: r.line } : {}),
    };
  }

  /** The sends whose bytes a recv returned, or the recvs that took a send's bytes. */
  private linked(r: CallRecord): CallRecord[] {
    return SENDS.has(r.call) ? this.log.recvsOf(r) : this.log.sendsIn(r);
  }

  /**
   * The calls (filtered) whose time [start, start + blocked] meets [from, to], earliest first, at most
   * MAX_WINDOW_CALLS; the links of those calls, with a linked call outside the window added so its arrow can end.
   */
  window(q: TimelineQuery): TimelineWindow {
    this.catchUp();
    const lanes = q.lanes ? new Set(q.lanes) : undefined;
    const names = q.calls ? new Set(q.calls) : undefined;
    const passes = (r: CallRecord) => (!lanes || lanes.has(this.laneKey(r))) && (!names || names.has(r.call));
    const hits: CallRecord[] = [];
    for (const r of this.log.records()) {
      const t = this.rel(r);
      if (t <= q.to && t + (r.blocked_ms ?? 0) / 1000 >= q.from && passes(r)) hits.push(r);
    }
    hits.sort((a, b) => a.t - b.t);
    const shown = hits.slice(0, MAX_WINDOW_CALLS);
    const ids = new Map<CallRecord, number>();
    for (const r of shown) ids.set(r, this.log.seqOf(r) ?? 0);
    const links: TimelineLink[] = [];
    const seen = new Set<string>();
    for (const r of shown) {
      if (!SENDS.has(r.call) && !r.call.startsWith('recv')) continue;
      for (const other of this.linked(r)) {
        if (!passes(other) || links.length >= MAX_WINDOW_LINKS) continue;
        if (!ids.has(other)) {
          if (ids.size >= MAX_WINDOW_CALLS) continue;
          ids.set(other, this.log.seqOf(other) ?? 0);
        }
        const [from, to] = SENDS.has(r.call) ? [ids.get(r)!, ids.get(other)!] : [ids.get(other)!, ids.get(r)!];
        if (seen.has(`${from}>${to}`)) continue;
        seen.add(`${from}>${to}`);
        links.push({ from, to });
      }
    }
    const calls = [...ids].map(([r, id]) => this.bar(r, id)).sort((a, b) => a.t - b.t);
    const packets = this.packets(q.from, q.to);
    const sl = this.socketLabWindow(q, ids, lanes);
    return {
      calls, links, omitted: hits.length - shown.length,
      ...(packets ? { packets } : {}),
      ...(sl.chunks.length ? sl : {}),
    };
  }

  /** One call in full, while it is kept. */
  detail(id: number): TimelineCallDetail | undefined {
    this.catchUp();
    const r = this.log.at(id);
    if (!r) return undefined;
    const hex = typeof r.bytes_hex === 'string' && /^(?:[0-9a-f]{2})*$/i.test(r.bytes_hex) ? r.bytes_hex.slice(0, MAX_DETAIL_BYTES * 2) : '';
    const str = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : undefined);
    const linked = this.linked(r).slice(0, 1000);
    const uint = (v: unknown) => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : undefined);
    const detail: TimelineCallDetail = {
      ...this.bar(r, id),
      file: str(r.file, 4096),
      fd: uint(r.fd),
      pid: uint(r.pid),
      thread: str(r.thread, 200),
      local: str(r.local, 300),
      peer: str(r.peer, 300),
      asked: uint(r.asked),
      errorText: str(r.error, 2000),
      bytes: new Uint8Array(Buffer.from(hex, 'hex')),
      linked: linked.map((x) => this.log.seqOf(x) ?? 0),
      linkedAt: linked.map((x) => (x.file && typeof x.line === 'number' ? `${x.file}:${x.line}`.slice(0, 4200) : '')),
      wire: this.wireOf(r),
    };
    return Object.fromEntries(Object.entries(detail).filter(([, v]) => v !== undefined)) as unknown as TimelineCallDetail;
  }

  /** Where a call was made: an absolute file and a 1-based line. */
  sourceOf(id: number): { file: string; line: number } | undefined {
    const r = this.log.at(id);
    if (!r?.file || typeof r.line !== 'number' || r.line < 1) return undefined;
    return { file: path.resolve(this.log.cwd, r.file), line: r.line };
  }

  /** The latest call made from `file`'s `line`. */
  latestAt(file: string, line: number): number | undefined {
    const l = this.log.linesOf(file).get(line);
    return l ? this.log.seqOf(l.last) : undefined;
  }
}
