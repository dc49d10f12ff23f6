// Follow Stream: one TCP connection's or UDP conversation's payload, both directions in order, as the session
// panel shows a conversation (its ConversationView and the shared HexPane): A → B and B → A in their colours, gaps
// marked, each chunk linking back to the packet it came from.
import type { FollowInfo, PacketPanelClient } from '../../../src/shared/packetPanelProtocol';
import type { ChunkRender } from '../../../src/shared/sessionPanelProtocol';
import { h } from '../dom';
import { HexPane } from '../hex/hexPane';
import { t } from '../strings';
import { ConversationView, TranscriptSource } from '../session/conversationView';

const num = new Intl.NumberFormat();

/** The browser's decoder for an encoding, or UTF-8's when it knows no such label. */
function decoderFor(encoding: string): TextDecoder {
  try {
    return new TextDecoder(encoding);
  } catch {
    return new TextDecoder();
  }
}

export class FollowView {
  readonly element = h('div', 'pk-follow');
  private readonly title = h('h2', 'pk-h pk-follow-title');
  private readonly summary = h('span', 'pk-follow-summary');
  private readonly render = h('select', 'pk-select pk-follow-render');
  private readonly encoding = h('select', 'pk-select pk-follow-encoding');
  private readonly body = h('div', 'pk-follow-body');
  private readonly source: TranscriptSource;
  private conversation: ConversationView | undefined;
  private hexPane: HexPane | undefined;
  private seq = 0;

  constructor(
    private readonly client: PacketPanelClient,
    encodings: readonly string[],
    /** A chunk's frame link: show that packet in the list. */
    private readonly showFrame: (frame: number) => void,
  ) {
    this.source = new TranscriptSource((offset, length) => client.call({ type: 'followRange', offset, length }));
    for (const [value, label] of [['text', t('Text')], ['hex', t('Hex')]]) this.render.append(Object.assign(h('option', '', label), { value }));
    for (const e of encodings) this.encoding.append(Object.assign(h('option', '', e), { value: e }));
    this.render.setAttribute('aria-label', t('Show chunks as'));
    this.encoding.setAttribute('aria-label', t('Text encoding'));
    this.render.addEventListener('change', () => void this.conversation?.rerender());
    this.encoding.addEventListener('change', () => void this.conversation?.rerender());
    const head = h('div', 'pk-follow-head');
    head.append(this.title, this.summary, h('span', 'pk-grow'), this.render, this.encoding);
    this.element.append(head, this.body);
    this.showMessage(t('Choose Follow Stream on a packet, a conversation or the diagram to see its payload here.'));
  }

  private showMessage(text: string): void {
    this.body.replaceChildren(h('div', 'pk-note pk-follow-message', text));
  }

  /** Follows conversation `key` (the host reads its packets) and shows it. */
  async follow(key: string): Promise<void> {
    const seq = ++this.seq;
    this.showMessage(t('Following the stream…'));
    try {
      const info = await this.client.call({ type: 'follow', key });
      if (seq === this.seq) await this.show(info);
    } catch (e) {
      if (seq === this.seq) this.showMessage(t('Error: {0}', e instanceof Error ? e.message : String(e)));
    }
  }

  private async show(info: FollowInfo): Promise<void> {
    this.title.textContent = t('Follow {0} stream {1}: {2} ↔ {3}', info.proto.toUpperCase(), info.stream, info.a, info.b);
    const parts = [t('A → B: {0} bytes', num.format(info.aBytes)), t('B → A: {0} bytes', num.format(info.bBytes)), t('{0} chunks', num.format(info.chunks))];
    if (info.gaps) parts.push(t('{0} gaps: {1} bytes missing from the capture', num.format(info.gaps), num.format(info.missingBytes)));
    if (info.truncated) parts.push(t('only the first {0} bytes are shown', num.format(info.transcript.endOffset)));
    this.summary.textContent = parts.join(' · ');
    this.element.dataset.key = info.key;
    this.source.start = info.transcript.startOffset;
    this.source.end = info.transcript.endOffset;
    const convPane = h('section', 'pk-follow-conv');
    convPane.setAttribute('aria-label', t('Stream'));
    const conversation = new ConversationView(
      convPane,
      (fromSeq, limit, render, encoding, maxBytes) => this.client.call({ type: 'followChunks', fromSeq, limit, render, encoding, maxBytes }),
      () => ({ render: this.render.value as ChunkRender, encoding: this.encoding.value, timeMode: 'relative' }),
      false,
      (c) => this.hexPane?.hex.select(c.offset, c.offset + c.length),
      { out: t('A → B'), in: t('B → A'), empty: t('No payload in this stream: only handshakes, acknowledgements or empty datagrams.'), onFrame: this.showFrame },
    );
    const hexPane = this.hexPane = new HexPane(
      {
        source: this.source,
        bytesPerRow: 'auto',
        bytesPerRowChanged: () => undefined,
        selectionChanged: () => undefined,
        find: (query, mode, from) => this.client.call({ type: 'followFind', query, mode, encoding: this.encoding.value, from }),
        decodeText: async (offset, length) => decoderFor(this.encoding.value).decode((await this.client.call({ type: 'followRange', offset, length })).bytes),
        copy: async (text) => void (await this.client.call({ type: 'copy', text })),
      },
      { label: t('Bytes of the stream'), followTail: false },
    );
    hexPane.hex.onDidClickByte((offset) => conversation.reveal(offset));
    hexPane.element.classList.add('pk-follow-hex');
    this.body.replaceChildren(convPane, hexPane.element);
    hexPane.attachControls();
    this.conversation = conversation;
    await conversation.init(info.transcript, true);
    this.element.dataset.ready = 'true';
  }
}
