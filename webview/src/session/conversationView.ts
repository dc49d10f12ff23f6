// The conversation: one box per chunk, in order, with direction, peer, time and size, so a learner
// sees three send() calls arrive as one recv(). The DOM holds a bounded window of chunks.
import type { ByteSpan, ChunkRender, ChunkView, SessionEventInfo, WsFramesView, SessionInfo, TimeMode, TranscriptInfo } from '../../../src/shared/sessionPanelProtocol';
import type { HexDataSource, HexPage } from '../hex/hexView';
import './conversation.css';
import { h } from '../dom';
import { t } from '../strings';
import { relativeTimeText } from './relativeTime';

export type { TimeMode };

/** Where the chunks come from: a session's transcript, or a followed stream of a capture. */
export type ChunkSource = (fromSeq: number, limit: number, render: ChunkRender, encoding: string, maxBytes: number) => Promise<{ transcript: TranscriptInfo; chunks: readonly ChunkView[] }>;

/** A conversation's bytes for the hex pane, read by range, each chunk's span coloured by its direction. */
export class TranscriptSource implements HexDataSource {
  start = 0;
  end = 0;
  constructor(private readonly readRange: (offset: number, length: number) => Promise<{ offset: number; bytes: Uint8Array; spans: readonly ByteSpan[] }>) {}
  async read(offset: number, length: number): Promise<HexPage> {
    const r = await this.readRange(offset, length);
    return { offset: r.offset, bytes: r.bytes, spans: r.spans.map((s) => ({ offset: s.offset, length: s.length, cls: s.dir })) };
  }
}

/** How a conversation not of a session reads: its two directions' names, a link to a chunk's frame, its empty text. */
export interface ConversationWords {
  readonly out: string;
  readonly in: string;
  readonly empty: string;
  /** A chunk's frame number was clicked (a followed stream's chunk links back to its packet). */
  readonly onFrame?: (frame: number) => void;
}

export interface ConversationSettings {
  render: ChunkRender;
  encoding: string;
  timeMode: TimeMode;
}

const PAGE = 100;
const MAX_DOM_CHUNKS = 500;
/** Bytes rendered per chunk; the rest is one click away in the hex viewer. */
const MAX_CHUNK_BYTES = 2048;

export class ConversationView {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly dropped: HTMLElement;
  /** Said while nothing was sent or received, so an empty pane does not look broken. */
  private readonly empty: HTMLElement;
  private readonly earlier: HTMLElement;
  private readonly later: HTMLElement;
  /** A stream read through from its start (a followed capture): no auto-scroll, later pages on demand. */
  private fromStart = false;
  private nextSeq = 0;
  private firstShown = -1;
  private t0: number | undefined;
  private transcript: TranscriptInfo | undefined;
  private pulling = false;
  private pullAgain = false;
  private generation = 0;
  /** The session's connect/half-close/close/reset events; each is placed once the chunks around it are shown. */
  private events: readonly SessionEventInfo[] = [];
  private session?: SessionInfo;
  private selected = { start: 0, end: 0 };

  constructor(
    parent: HTMLElement,
    private readonly source: ChunkSource,
    private readonly settings: () => ConversationSettings,
    private readonly multiPeer: boolean,
    /** `extend`: Shift was held (the selection grows to take the chunk in). */
    private readonly onChunkClick: (c: { offset: number; length: number; seq: number; ws?: WsFramesView; extend: boolean }) => void,
    private readonly words?: ConversationWords,
  ) {
    this.element = h('div', 'conv');
    this.dropped = h('div', 'conv-note');
    this.dropped.hidden = true;
    this.earlier = h('button', 'conv-earlier link', t('Show earlier chunks'));
    this.earlier.hidden = true;
    this.earlier.addEventListener('click', () => void this.loadEarlier());
    this.later = h('button', 'conv-earlier conv-later link', t('Show later chunks'));
    this.later.hidden = true;
    this.later.addEventListener('click', () => void this.pull(PAGE));
    this.list = h('div', 'conv-list');
    // read through from the start: scrolling near the end brings the next page
    this.list.addEventListener('scroll', () => {
      if (this.fromStart && !this.later.hidden && this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 200) void this.pull(PAGE);
    });
    this.list.setAttribute('role', 'list');
    this.list.setAttribute('aria-label', t('Conversation'));
    this.list.tabIndex = 0;
    // arrow keys walk the chunks; Enter shows the focused chunk's bytes in the hex viewer
    this.list.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp' && e.key !== 'Home' && e.key !== 'End') return;
      const items = [...this.list.children] as HTMLElement[];
      if (!items.length) return;
      const i = items.indexOf(document.activeElement as HTMLElement);
      const next = e.key === 'Home' ? 0 : e.key === 'End' ? items.length - 1 : i < 0 ? (e.key === 'ArrowDown' ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, i + (e.key === 'ArrowDown' ? 1 : -1)));
      e.preventDefault();
      items[next].focus();
    });
    this.empty = h('div', 'conv-note conv-empty', words?.empty ?? t('Nothing sent or received yet. Type in the box below and press Enter to send; what arrives shows here.'));
    this.element.append(this.dropped, this.earlier, this.empty, this.list, this.later);
    parent.append(this.element);
  }

  /** Starts with the last page of chunks (a live conversation), or with the first (`fromStart`: a stream read through). */
  async init(tr: TranscriptInfo, fromStart = false): Promise<void> {
    this.transcript = tr;
    this.fromStart = fromStart;
    this.nextSeq = fromStart ? tr.firstSeq : Math.max(tr.firstSeq, tr.nextSeq - PAGE);
    await this.pull();
    if (fromStart) this.list.scrollTop = 0;
  }

  grew(tr: TranscriptInfo): void {
    this.transcript = tr;
    void this.pull();
  }

  /** The session's events changed (it connected, half-closed, closed…): shows the new ones in place. */
  setSession(s: SessionInfo): void {
    this.session = s;
    this.events = s.events;
    this.t0 ??= s.events[0]?.time; // relative times count from the session's start
    this.placeEvents();
  }

  /** Puts each event not yet shown between the chunk before it and the chunk after it, once both sides are known. */
  private placeEvents(): void {
    const tr = this.transcript;
    if (!tr) return;
    const shown = new Set([...this.list.querySelectorAll<HTMLElement>('.conv-event')].map((e) => Number(e.dataset.event)));
    // events before the first shown chunk belong to the "Show earlier" part while earlier chunks exist
    const earliest = this.firstShown >= 0 ? this.firstShown : this.nextSeq;
    this.events.forEach((ev, i) => {
      if (shown.has(i) || ev.seq > this.nextSeq || (ev.seq < earliest && earliest > tr.firstSeq)) return;
      const after = [...this.list.querySelectorAll<HTMLElement>('.chunk')].find((c) => Number(c.dataset.seq) >= ev.seq);
      const row = this.renderEvent(ev, i);
      // two events at one place keep their order
      let before: Element | null = after ?? null;
      while (before?.previousElementSibling?.classList.contains('conv-event') && Number((before.previousElementSibling as HTMLElement).dataset.event) > i) before = before.previousElementSibling;
      this.list.insertBefore(row, before);
    });
    this.refreshDeltas();
  }

  /**
   * Delta times: each row's time since the row before it (a chunk or an event, as a log's records count), the first
   * rows' since the chunk the transcript holds before them. Rows come in out of order (events, earlier pages), so the
   * shown ones are counted again whenever rows are added.
   */
  private refreshDeltas(): void {
    if (this.settings().timeMode !== 'delta') return;
    // events shown before the first chunk came after the chunk before it too
    const before = this.list.querySelector<HTMLElement>('.chunk')?.dataset.prevTime;
    let prev = before !== undefined ? Number(before) : undefined;
    for (const row of this.list.children as HTMLCollectionOf<HTMLElement>) {
      const time = Number(row.dataset.time);
      prev ??= time;
      const cell = row.querySelector('.chunk-time');
      if (cell) cell.textContent = relativeTimeText(time - prev);
      prev = time;
    }
  }

  /** Marks the shown chunks with a byte in [start, end) (the hex pane's selection: what Export calls the selected chunks). */
  markSelected(start: number, end: number): void {
    this.selected = { start, end };
    for (const el of this.list.querySelectorAll<HTMLElement>('.chunk')) el.classList.toggle('in-selection', this.isSelected(Number(el.dataset.offset), Number(el.dataset.length)));
  }

  private isSelected(offset: number, length: number): boolean {
    const { start, end } = this.selected;
    return end > start && offset < end && offset + length > start;
  }

  private eventText(ev: SessionEventInfo): string {
    const s = this.session;
    const accepted = s?.kind.endsWith('accepted');
    switch (ev.state) {
      case 'connecting':
        return t('Connecting to {0}…', s?.label ?? '');
      case 'open':
        return accepted ? t('Connection accepted from {0}', s?.label ?? '') : s?.kind === 'udp' ? t('Socket open') : t('Connected');
      case 'listening':
        return t('Listening');
      case 'half-closed-by-us':
        return t('You finished sending (FIN sent); the peer can still send');
      case 'half-closed-by-peer':
        return t('The peer finished sending (FIN received): recv() returns no more bytes; you can still send');
      case 'closed':
        return t('Closed');
      case 'failed':
        if (ev.code === 'ECONNRESET') return t('Reset by the peer (RST, ECONNRESET): unread or unsent bytes are lost');
        return s?.error ? t('Ended with an error ({0}: {1})', s.error.code, s.error.message) : t('Ended with an error ({0})', ev.code ?? '?');
      default:
        return ev.state.startsWith('ws-') ? wsEventText(ev.state, ev.detail ?? '') : ev.state;
    }
  }

  private renderEvent(ev: SessionEventInfo, i: number): HTMLElement {
    const row = h('div', `conv-event ${ev.state}`);
    row.dataset.event = String(i);
    row.dataset.time = String(ev.time);
    row.setAttribute('role', 'listitem');
    row.tabIndex = -1;
    row.append(h('span', 'chunk-time', this.formatTime(ev.time)), h('span', 'conv-event-text', this.eventText(ev)));
    return row;
  }

  /** Re-renders every shown chunk (encoding, hex/text or time mode changed). */
  async rerender(): Promise<void> {
    const from = this.firstShown >= 0 ? this.firstShown : (this.transcript?.firstSeq ?? 0);
    this.generation++;
    this.list.textContent = '';
    this.firstShown = -1;
    this.nextSeq = from;
    await this.pull();
  }

  /**
   * Reads the chunks after the last shown. A live conversation reads up to its end; one read from its start stops
   * once the DOM holds its window (`more`: chunks to add beyond what is shown, "Show later chunks").
   */
  private async pull(more = 0): Promise<void> {
    const limit = this.fromStart ? Math.max(MAX_DOM_CHUNKS, this.chunkCount() + more) : Infinity;
    if (this.pulling) {
      this.pullAgain = true;
      return;
    }
    this.pulling = true;
    try {
      do {
        this.pullAgain = false;
        const gen = this.generation;
        const s = this.settings();
        const res = await this.source(this.nextSeq, PAGE, s.render, s.encoding, MAX_CHUNK_BYTES);
        if (gen !== this.generation) {
          this.pullAgain = true;
          continue;
        }
        this.transcript = res.transcript;
        this.append(res.chunks);
        if (res.chunks.length) this.nextSeq = res.chunks[res.chunks.length - 1].seq + 1;
        else this.nextSeq = Math.max(this.nextSeq, res.transcript.firstSeq);
        if (this.nextSeq < res.transcript.nextSeq && this.chunkCount() < limit) this.pullAgain = true;
        this.updateNotes();
        this.placeEvents();
      } while (this.pullAgain);
    } catch (e) {
      console.warn('socket-lab: chunk pull failed', e);
    } finally {
      this.pulling = false;
    }
  }

  private async loadEarlier(): Promise<void> {
    const tr = this.transcript;
    if (!tr || this.firstShown <= tr.firstSeq) return;
    const from = Math.max(tr.firstSeq, this.firstShown - PAGE);
    const s = this.settings();
    const res = await this.source(from, this.firstShown - from, s.render, s.encoding, MAX_CHUNK_BYTES);
    const frag = document.createDocumentFragment();
    for (const c of res.chunks) if (c.seq < this.firstShown) frag.append(this.renderChunk(c));
    if (res.chunks.length) this.firstShown = Math.min(this.firstShown, res.chunks[0].seq);
    this.list.prepend(frag);
    this.refreshDeltas();
    this.updateNotes();
    this.placeEvents();
  }

  private chunkCount(): number {
    return this.list.querySelectorAll('.chunk').length;
  }

  private append(chunks: readonly ChunkView[]): void {
    if (!chunks.length) return;
    if (this.fromStart) return this.appendReading(chunks);
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 24;
    const frag = document.createDocumentFragment();
    for (const c of chunks) frag.append(this.renderChunk(c));
    if (this.firstShown < 0) this.firstShown = chunks[0].seq;
    this.list.append(frag);
    if (atBottom) {
      while (this.list.childElementCount > MAX_DOM_CHUNKS) {
        this.list.firstElementChild?.remove();
        this.firstShown = Number(this.list.querySelector<HTMLElement>('.chunk')?.dataset.seq ?? this.firstShown);
      }
      this.list.scrollTop = this.list.scrollHeight;
    }
  }

  /** Appends where the reader is not looking (a stream read from its start): the view stays; chunks beyond the window leave the top. */
  private appendReading(chunks: readonly ChunkView[]): void {
    const frag = document.createDocumentFragment();
    for (const c of chunks) frag.append(this.renderChunk(c));
    if (this.firstShown < 0) this.firstShown = chunks[0].seq;
    this.list.append(frag);
    while (this.chunkCount() > MAX_DOM_CHUNKS + PAGE) {
      const first = this.list.firstElementChild as HTMLElement;
      const height = first.offsetHeight;
      first.remove();
      this.list.scrollTop -= height;
      this.firstShown = Number(this.list.querySelector<HTMLElement>('.chunk')?.dataset.seq ?? this.firstShown);
    }
  }

  private updateNotes(): void {
    const tr = this.transcript;
    if (!tr) return;
    this.dropped.hidden = tr.droppedChunks === 0;
    this.dropped.textContent = tr.droppedChunks ? t('{0} older chunks ({1} bytes) were dropped from the transcript.', tr.droppedChunks, tr.droppedBytes) : '';
    this.earlier.hidden = !(this.firstShown > tr.firstSeq);
    this.later.hidden = !(this.fromStart && this.nextSeq < tr.nextSeq);
    this.empty.hidden = tr.nextSeq > 0;
  }

  /** Marks and scrolls to the shown chunk holding stream offset `offset` (a byte clicked in the hex viewer). */
  reveal(offset: number): void {
    for (const el of this.list.querySelectorAll('.chunk.picked')) el.classList.remove('picked');
    for (const el of this.list.querySelectorAll<HTMLElement>('.chunk')) {
      const o = Number(el.dataset.offset);
      if (offset >= o && offset < o + Number(el.dataset.length)) {
        el.classList.add('picked');
        el.scrollIntoView({ block: 'nearest' });
        return;
      }
    }
  }

  /** Absolute: the clock; relative: since the session's first record; delta: filled in by refreshDeltas. */
  private formatTime(ms: number): string {
    if (this.settings().timeMode === 'delta') return '';
    if (this.settings().timeMode === 'relative') {
      this.t0 ??= ms;
      return relativeTimeText(ms - this.t0);
    }
    const d = new Date(ms);
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
  }

  /** "frame 12": shows the packet the chunk came from. */
  private frameLink(frame: number, onFrame: (frame: number) => void): HTMLElement {
    const b = h('button', 'link chunk-frame', t('frame {0}', frame));
    b.type = 'button';
    b.title = t('Show packet {0} in the list', frame);
    b.addEventListener('click', (e) => {
      e.stopPropagation();
      onFrame(frame);
    });
    return b;
  }

  private renderChunk(c: ChunkView): HTMLElement {
    if (c.seq === this.transcript?.firstSeq || this.t0 === undefined) this.t0 ??= c.time;
    const box = h('div', `chunk ${c.dir}`);
    box.dataset.seq = String(c.seq);
    box.dataset.offset = String(c.offset);
    box.dataset.length = String(c.length);
    box.dataset.time = String(c.time);
    if (this.isSelected(c.offset, c.length)) box.classList.add('in-selection');
    if (c.prevTime !== undefined) box.dataset.prevTime = String(c.prevTime);
    box.setAttribute('role', 'listitem');
    box.tabIndex = -1;
    const meta = h('div', 'chunk-meta');
    const w = this.words;
    meta.append(h('span', 'chunk-dir', c.dir === 'out' ? (w?.out ?? t('→ sent')) : (w?.in ?? t('← received'))));
    if (c.peer && this.multiPeer) meta.append(h('span', 'chunk-peer', c.dir === 'out' ? t('to {0}', c.peer) : t('from {0}', c.peer)));
    meta.append(h('span', 'chunk-time', this.formatTime(c.time)), h('span', 'chunk-size', t('{0} bytes', c.missing ?? c.length)), h('span', 'chunk-seq', `#${c.seq}`));
    if (c.ws) meta.append(h('span', 'chunk-ws', c.ws.frames[0]?.opcode === 2 ? t('binary') : t('text')));
    if (c.frame !== undefined && w?.onFrame) meta.append(this.frameLink(c.frame, w.onFrame));
    const body = h('pre', 'chunk-body');
    if (c.missing !== undefined) {
      box.classList.add('gap');
      body.textContent = t('[{0} bytes missing in the capture]', c.missing);
    }
    for (const part of c.parts) body.append(part.e ? h('span', 'esc', part.t) : document.createTextNode(part.t));
    box.append(meta, body);
    if (c.omitted) box.append(h('div', 'chunk-more', t('… {0} more bytes, shown in the hex viewer', c.omitted)));
    const pick = (e: MouseEvent | KeyboardEvent) => this.onChunkClick({ offset: c.offset, length: c.length, seq: c.seq, ws: c.ws, extend: e.shiftKey });
    box.addEventListener('click', pick);
    // Shift+click grows the byte selection; the page's own text selection would paint over the chunks in between
    box.addEventListener('mousedown', (e) => {
      if (e.shiftKey) e.preventDefault();
    });
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') pick(e);
    });
    return box;
  }
}

/** A WebSocket ping, pong or close event (state ws-<type>-<in|out>), with its size or its code and reason. */
function wsEventText(state: string, detail: string): string {
  switch (state) {
    case 'ws-ping-in':
      return t('Ping received ({0} bytes): answered with a pong', detail);
    case 'ws-ping-out':
      return t('Ping sent ({0} bytes)', detail);
    case 'ws-pong-in':
      return t('Pong received ({0} bytes)', detail);
    case 'ws-close-in':
      return detail ? t('Close frame received: {0}', detail) : t('Close frame received (no code)');
    case 'ws-close-out':
      return t('Close frame sent: {0}', detail);
    default:
      return state;
  }
}
