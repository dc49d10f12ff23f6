// The selected call in words: what it was, its file:line (a link that opens the editor there), its socket, what it
// asked for and got, how long it blocked, its error, and the calls its bytes are linked to.
import type { TimelineCallDetail } from '../../../src/shared/timelinePanelProtocol';
import { h } from '../dom';
import { t } from '../strings';
import { durationText } from './timelineLayout';

export interface CallDetailsHost {
  openSource(id: number): void;
  select(id: number): void;
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
  }

  private linkedRow(d: TimelineCallDetail): void {
    const box = h('span', 'tl-linked');
    for (const id of d.linked) {
      const b = h('a', 'tl-link-call', `#${id}`);
      b.href = '#';
      b.addEventListener('click', (e) => {
        e.preventDefault();
        this.host.select(id);
      });
      box.append(b, ' ');
    }
    this.row(d.call.startsWith('send') ? t('Taken by recvs') : t('Bytes of sends'), box);
  }

  private row(label: string, value: string | HTMLElement): void {
    const dd = h('dd');
    dd.append(value);
    this.list.append(h('dt', undefined, label), dd);
  }
}
