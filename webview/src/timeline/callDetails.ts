// The selected call in words: what it was, its file:line (a link that opens the editor there), its socket, what it
// asked for and got, how long it blocked, its error, and the calls its bytes are linked to.
import type { TimelineCallDetail, TimelineWire } from '../../../src/shared/timelinePanelProtocol';
import { h } from '../dom';
import { t } from '../strings';
import { durationText } from './timelineLayout';

export interface CallDetailsHost {
  openSource(id: number): void;
  select(id: number): void;
  /** Opens the packet panel at a frame (1-based No.). */
  openFrame(captureId: string, frame: number): void;
  /** Opens a session's panel with chunks #chunk–#last selected. */
  openChunks(sessionId: string, chunk: number, last: number): void;
}

/** A link that runs `go` (the page's own links never navigate). */
function action(cls: string, text: string, title: string, go: () => void): HTMLAnchorElement {
  const a = h('a', cls, text);
  a.href = '#';
  a.title = title;
  a.addEventListener('click', (e) => {
    e.preventDefault();
    go();
  });
  return a;
}

/** `client.py:8 and :9`: the lines of the linked calls, the file said once when they share it. */
function placesText(at: readonly string[]): string {
  const known = at.filter(Boolean);
  const file = (s: string) => s.slice(0, s.lastIndexOf(':'));
  const shared = known.every((s) => file(s) === file(known[0]));
  return listText(known.map((s, i) => (shared && i > 0 ? s.slice(s.lastIndexOf(':')) : s)));
}

/** `5`, `5 and 7`, `5, 7 and 9`. */
function listText(parts: readonly string[]): string {
  return parts.length < 2 ? (parts[0] ?? '') : t('{0} and {1}', parts.slice(0, -1).join(', '), parts[parts.length - 1]);
}

export class CallDetails {
  readonly element = h('div', 'tl-details');
  private readonly list = h('dl', 'tl-dl');
  private readonly empty = h('div', 'tl-empty', t('Select a call to see its details and bytes.'));

  constructor(private readonly host: CallDetailsHost) {
    this.element.append(this.empty, this.list);
    this.list.hidden = true;
  }

  show(d: TimelineCallDetail | undefined): void {
    this.list.replaceChildren();
    this.list.hidden = !d;
    this.empty.hidden = !!d;
    if (!d) return;
    this.row(t('Call'), d.call);
    const seg = d.wire?.segments;
    const summary = d.wire ? this.summaryText(d, d.wire, seg && 'frames' in seg ? seg.frames : []) : '';
    if (summary) this.row(t('In short'), h('span', 'tl-wire-summary', summary));
    if (d.file !== undefined && d.line !== undefined) {
      const link = h('a', 'tl-source', `${d.file}:${d.line}`);
      link.href = '#';
      link.title = t('Open this line in the editor');
      link.addEventListener('click', (e) => {
        e.preventDefault();
        this.host.openSource(d.id);
      });
      this.row(t('Source'), link);
    } else this.row(t('Source'), t('no source line'));
    const who = [d.fd !== undefined ? `fd ${d.fd}` : '', d.pid !== undefined ? `pid ${d.pid}` : '', d.thread ? t('thread {0}', d.thread) : ''].filter(Boolean);
    this.row(t('Socket'), who.join(' · ') || '—');
    if (d.local) this.row(t('Local'), d.local);
    if (d.peer) this.row(t('Peer'), d.peer);
    if (d.asked !== undefined) this.row(t('Asked'), `${d.asked} B`);
    if (d.returned !== undefined) this.row(t('Returned'), d.call === 'connect_ex' ? String(d.returned) : d.call.startsWith('recv') && d.returned === 0 ? t("0 B: b'' (peer closed)") : `${d.returned} B`);
    this.row(t('Blocked'), durationText(d.ms));
    if (d.errorText) this.row(t('Error'), h('span', 'tl-error-text', d.errorText));
    if (d.linked.length) this.linkedRow(d);
    if (d.wire) this.wireRows(d.wire);
  }

  /** The call's bytes in its stream, the frames that carried them and the Socket Lab session's chunks that hold them. */
  private wireRows(w: TimelineWire): void {
    const seg = w.segments;
    const frames = seg && 'frames' in seg ? seg : undefined;
    this.row(t('Stream bytes'), w.end > w.start ? `${w.start}–${w.end - 1}` : '—');
    if (frames) {
      const box = h('span', 'tl-frames');
      box.append(frames.frames.length === 1 ? t('1 segment: ') : t('{0} segments: ', frames.frames.length));
      for (const f of frames.frames) box.append(action('tl-frame-link', t('frame {0}', f), t('Show frame {0} in the packet panel', f), () => this.host.openFrame(frames.captureId, f)), ' ');
      this.row(t('On the wire'), box);
    } else if (seg && 'missing' in seg) {
      const why = { notCaptured: t('No capture holds these bytes.'), noStart: t('The capture began after this connection opened, so its bytes cannot be placed.'), forgotten: t('The capture no longer holds these segments.') }[seg.missing];
      this.row(t('On the wire'), h('span', 'tl-muted', why));
    }
    const c = w.chunks;
    if (c) {
      const text = c.first === c.last ? t('chunk #{0} of session {1}', c.first, c.label) : t('chunks #{0}–#{1} of session {2}', c.first, c.last, c.label);
      this.row(t('Socket Lab'), action('tl-chunks-link', text, t('Show these chunks in the session panel'), () => this.host.openChunks(c.sessionId, c.first, c.last)));
    }
  }

  /** "This recv returned bytes 0–16, which arrived in 2 segments (frames 5 and 7), sent by 2 sends at client.py:8 and :9." */
  private summaryText(d: TimelineCallDetail, w: TimelineWire, frames: readonly number[]): string {
    if (!d.call.startsWith('recv') || w.end <= w.start) return '';
    const parts = [t('This recv returned bytes {0}–{1}', w.start, w.end - 1)];
    if (frames.length) {
      const list = listText(frames.map(String));
      parts.push(frames.length === 1 ? t('which arrived in 1 segment (frame {0})', list) : t('which arrived in {0} segments (frames {1})', frames.length, list));
    }
    const at = placesText(d.linkedAt ?? []);
    if (d.linked.length) parts.push(d.linked.length === 1 ? t('sent by 1 send at {0}', at) : t('sent by {0} sends at {1}', d.linked.length, at));
    return `${parts.join(', ')}.`;
  }

  private linkedRow(d: TimelineCallDetail): void {
    const box = h('span', 'tl-linked');
    d.linked.forEach((id, i) => {
      const at = d.linkedAt?.[i];
      box.append(action('tl-link-call', at ? `#${id} ${at}` : `#${id}`, t('Select this call'), () => this.host.select(id)), ' ');
    });
    this.row(d.call.startsWith('send') ? t('Taken by recvs') : t('Bytes of sends'), box);
  }

  private row(label: string, value: string | HTMLElement): void {
    const dd = h('dd');
    dd.append(value);
    this.list.append(h('dt', undefined, label), dd);
  }
}
