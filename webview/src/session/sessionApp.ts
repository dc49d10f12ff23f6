// The session panel: header, conversation and hex viewer side by side (resizable), send bar.
// All data is pulled from the extension host through PanelClient; events only say what changed.
import './session.css';
import { SESSION_PANEL, type SessionPanelClient, type InitInfo, type PanelEvent, type SessionInfo, type TranscriptInfo } from '../../../src/shared/sessionPanelProtocol';
import { button, h, singleSelect, vsc, type SelectLike } from '../dom';
import { HexPane } from '../hex/hexPane';
import { WsFramesBox } from './wsFramesView';
import type { BytesPerRow } from '../hex/hexView';
import { setStrings, t } from '../strings';
import { connectPanel, vscodeApi } from '../vscodeApi';
import { ConversationView, TranscriptSource, type ChunkSource, type TimeMode } from './conversationView';
import { TIME_MODES } from '../../../src/shared/sessionPanelProtocol';
import { SendBar, type SendBarState } from './sendBar';
import { renderTls } from './tlsSummaryView';

interface PanelState {
  render: 'text' | 'hex';
  encoding: string;
  timeMode: TimeMode;
  /** 'auto': as many as fit the hex pane's width. */
  bytesPerRow: BytesPerRow | 'auto';
  /** 'auto': side by side when the panel is wide enough, stacked when narrow. */
  layout: 'side' | 'stacked' | 'auto';
  send: SendBarState;
  selection?: { start: number; end: number };
}

/** Below this panel width the conversation and the hex viewer stack when the layout is 'auto'. */
const SIDE_BY_SIDE_MIN_PX = 820;

export async function startSessionApp(root: HTMLElement): Promise<void> {
  const api = vscodeApi();
  const client = connectPanel(SESSION_PANEL, (e) => onEvent(e));

  const init = await client.call({ type: 'ready' });
  setStrings(init.strings);
  const saved = api.getState() as Partial<PanelState> | undefined;
  const state: PanelState = {
    render: saved?.render ?? 'text',
    // one encoding per session, kept by the extension: the conversation and the send bar both use it
    encoding: init.session.encoding,
    timeMode: saved?.timeMode && TIME_MODES.includes(saved.timeMode) ? saved.timeMode : 'absolute',
    bytesPerRow: saved?.bytesPerRow ?? 'auto',
    layout: saved?.layout ?? 'auto',
    send: { mode: 'text', lineEnding: 'none', framing: 'raw', history: [], intervalMs: 1000, count: 10, ...saved?.send, encoding: init.session.encoding },
    selection: saved?.selection,
  };
  const save = () => api.setState(state);

  const ui = buildLayout(root, init, state, save, client);
  let session = init.session;
  let transcript = init.transcript;

  function onEvent(e: PanelEvent): void {
    switch (e.type) {
      case 'transcriptGrew': {
        const prevEnd = ui.source.end;
        transcript = e.transcript;
        ui.source.start = transcript.startOffset;
        ui.source.end = transcript.endOffset;
        ui.hex.rangeChanged(prevEnd);
        ui.conversation.grew(transcript);
        ui.updateHeader(session, transcript);
        break;
      }
      case 'stateChanged':
      case 'sessionClosed':
        session = e.session;
        ui.updateHeader(session, transcript);
        break;
      case 'repeatState':
        ui.sendBar.repeatState(e.repeat);
        break;
      case 'focusInput':
        ui.focusInput();
        break;
      case 'savedMessagesChanged':
        void ui.sendBar.saved.refresh();
        break;
      case 'showBytes':
        ui.hex.select(e.start, e.end);
        ui.conversation.reveal(e.start);
        break;
    }
  }
  // events that raced the `ready` answer are harmless: the next one carries the full picture
  ui.updateHeader(session, transcript);
  if (state.selection) ui.hex.select(state.selection.start, state.selection.end);
  if (init.showBytes) ui.hex.select(init.showBytes.start, init.showBytes.end);
  await ui.conversation.init(transcript);
  if (init.showBytes) ui.conversation.reveal(init.showBytes.start);
  void ui.sendBar.saved.refresh();
  document.body.dataset.ready = 'true';
}

/** A session state in the user's words (the badge; data-state keeps the code name). */
function stateWords(state: string): string {
  switch (state) {
    case 'connecting':
      return t('connecting');
    case 'listening':
      return t('listening');
    case 'open':
      return t('open');
    case 'half-closed-by-peer':
      return t('peer finished sending');
    case 'half-closed-by-us':
      return t('you finished sending');
    case 'closed':
      return t('closed');
    case 'failed':
      return t('failed');
    default:
      return state;
  }
}

/** The header (label, kind, state, counters) and the closed-session banner with its Reconnect button. */
class SessionHeader {
  readonly head = h('header', 'session-head');
  readonly banner = h('div', 'session-banner');
  private readonly title = h('span', 'session-label');
  private readonly kind = h('span', 'session-kind');
  private readonly badge = h('span', 'session-state');
  private readonly counters = h('span', 'session-counters');
  private readonly tls = h('details', 'session-tls');

  constructor(private readonly reconnect: () => void) {
    this.banner.setAttribute('role', 'status');
    this.banner.hidden = true;
    this.tls.hidden = true;
    this.head.append(this.title, this.kind, this.badge, this.counters, this.tls);
  }

  update(s: SessionInfo, tr: TranscriptInfo): void {
    this.title.textContent = s.label;
    this.kind.textContent = s.role ?? s.kind;
    this.badge.textContent = stateWords(s.state);
    this.badge.dataset.state = s.state;
    this.counters.textContent = t('{0} bytes, {1} chunks', tr.endOffset, tr.nextSeq);
    renderTls(this.tls, s.tls);
    const banner = this.banner;
    banner.hidden = !s.closed;
    banner.textContent = s.closed ? (s.error ? t('This session is closed ({0}: {1}). The transcript stays readable.', s.error.code, s.error.message) : t('This session is closed. The transcript stays readable.')) : '';
    // a closed client connects again from here, to the same place with the same settings
    if (s.closed && s.kind.endsWith('-client')) {
      const again = button(t('Reconnect'), { class: 'session-reconnect' });
      again.addEventListener('click', () => this.reconnect());
      banner.append(' ', again);
    }
  }
}

/** The conversation pane's toolbar: show chunks as, encoding, time, layout, Export…. */
function conversationBar(init: InitInfo, state: PanelState, client: SessionPanelClient) {
  const bar = h('div', 'toolbar');
  const render = singleSelect(
    [
      { value: 'text', label: t('Text') },
      { value: 'hex', label: t('Hex') },
    ],
    state.render,
    t('Show chunks as'),
  );
  render.classList.add('conv-render');
  const encoding = singleSelect(init.encodings.map((e) => ({ value: e, label: e })), state.encoding, t('Encoding'));
  encoding.classList.add('conv-encoding');
  // the words of the logs' setting (socketLab.logs.timestamps); an export's text takes the style chosen here
  const time = singleSelect(
    [
      { value: 'absolute', label: t('Absolute time') },
      { value: 'relative', label: t('Relative time') },
      { value: 'delta', label: t('Delta time') },
    ],
    state.timeMode,
    t('Time: absolute (the clock), relative (since the first record) or delta (since the previous one)'),
  );
  time.classList.add('conv-time');
  const layout = singleSelect(
    [
      { value: 'auto', label: t('Fit to width') },
      { value: 'side', label: t('Side by side') },
      { value: 'stacked', label: t('Stacked') },
    ],
    state.layout,
    t('Layout'),
  );
  layout.classList.add('conv-layout');
  const exportButton = button(t('Export…'), { class: 'conv-export', secondary: '', title: t('Write the transcript (all chunks or the selected ones) to a file: text, hex dump, JSON Lines or pcapng') });
  // the host asks what to export (all or the selected chunks), the format and the file; text takes the time style
  exportButton.addEventListener('click', () => void client.call({ type: 'exportTranscript', timestamps: state.timeMode, selection: state.selection }).catch(() => undefined));
  bar.append(render, encoding, time, layout, exportButton);
  /** A choice that changes how chunks render was made (and written into `state`). */
  const onChange = (then: (change: { encoding?: string }) => void) => {
    render.addEventListener('change', () => {
      state.render = render.value as 'text' | 'hex';
      then({});
    });
    encoding.addEventListener('change', () => {
      state.encoding = encoding.value;
      then({ encoding: encoding.value });
    });
    time.addEventListener('change', () => {
      state.timeMode = time.value as TimeMode;
      then({});
    });
  };
  return { bar, encoding, layout, onChange };
}

/** The hex pane on the session's transcript: finds, decodes and copies through the host. */
function sessionHexPane(client: SessionPanelClient, init: InitInfo, state: PanelState, save: () => void, onSelection: (sel: { start: number; end: number }) => void) {
  const source = new TranscriptSource((offset, length) => client.call({ type: 'readRange', offset, length }));
  source.start = init.transcript.startOffset;
  source.end = init.transcript.endOffset;
  const pane = new HexPane(
    {
      source,
      bytesPerRow: state.bytesPerRow,
      bytesPerRowChanged: (v) => {
        state.bytesPerRow = v;
        save();
      },
      selectionChanged: (sel) => {
        state.selection = sel;
        save();
        onSelection(sel);
      },
      find: (query, mode, from) => client.call({ type: 'find', query, mode, encoding: state.encoding, from }),
      decodeText: async (offset, length) => (await client.call({ type: 'decode', offset, length, encoding: state.encoding })).parts.map((p) => p.t).join(''),
      copy: async (text) => void (await client.call({ type: 'copy', text })),
    },
    { label: t('Bytes of the conversation'), followTail: true },
  );
  return { pane, source };
}

/** Conversation and hex pane side by side when the panel is wide enough (or as chosen), else stacked. */
function splitLayout(app: HTMLElement, convPane: HTMLElement, hexPane: HTMLElement, state: PanelState, layout: SelectLike, save: () => void): HTMLElement {
  const split = vsc('vscode-split-layout', { class: 'session-split', 'initial-handle-position': '40%' });
  split.append(convPane, hexPane);
  // Side by side needs room for a readable conversation and 16 bytes per row; narrower panels stack.
  const applyLayout = () => {
    const side = state.layout === 'side' || (state.layout === 'auto' && app.clientWidth >= SIDE_BY_SIDE_MIN_PX);
    const want = side ? 'vertical' : 'horizontal';
    if (split.getAttribute('split') !== want) {
      split.setAttribute('split', want);
      // stacked, the conversation (what a learner reads first) gets most of the height
      (split as HTMLElement & { handlePosition: string }).handlePosition = side ? '40%' : '62%';
    }
    app.dataset.layout = side ? 'side' : 'stacked';
  };
  new ResizeObserver(applyLayout).observe(app);
  applyLayout();
  layout.addEventListener('change', () => {
    state.layout = layout.value as PanelState['layout'];
    applyLayout();
    save();
  });
  return split;
}

/** A chunk clicked selects its bytes; Shift+click grows the selection to take it in (Export… writes selected chunks). */
function selectChunk(hex: { select(start: number, end: number): void }, sel: PanelState['selection'], c: { offset: number; length: number; extend: boolean }): void {
  if (c.extend && sel && sel.end > sel.start) hex.select(Math.min(sel.start, c.offset), Math.max(sel.end, c.offset + c.length));
  else hex.select(c.offset, c.offset + c.length);
}

function buildLayout(root: HTMLElement, init: InitInfo, state: PanelState, save: () => void, client: SessionPanelClient) {
  root.textContent = '';
  const app = h('div', 'session-app');
  const header = new SessionHeader(() => void client.call({ type: 'reconnect' }).catch(() => undefined));

  // ---- conversation | hex ----
  const convPane = h('section', 'pane conv-pane');
  convPane.slot = 'start';
  convPane.setAttribute('aria-label', t('Conversation'));
  const convBar = conversationBar(init, state, client);
  const chunks: ChunkSource = (fromSeq, limit, render, encoding, maxBytes) => client.call({ type: 'chunks', fromSeq, limit, render, encoding, maxBytes });
  // WebSocket connections: the chosen message's frames, beside the data inspector
  const wsFrames = /^ws-(client|accepted)$/.test(init.session.kind) ? new WsFramesBox() : undefined;
  const conversation = new ConversationView(convPane, chunks, () => ({ render: state.render, encoding: state.encoding, timeMode: state.timeMode }), init.session.multiPeer, (c) => {
    selectChunk(hex, state.selection, c);
    wsFrames?.show(c.ws);
  });
  convBar.onChange((v) => {
    save();
    if (v.encoding) void client.call({ type: 'setEncoding', encoding: v.encoding });
    void conversation.rerender();
  });
  const { pane: hexPane, source } = sessionHexPane(client, init, state, save, (sel) => conversation.markSelected(sel.start, sel.end));
  hexPane.element.slot = 'end';
  const hex = hexPane.hex;
  hex.onDidClickByte((offset) => conversation.reveal(offset));
  const split = splitLayout(app, convPane, hexPane.element, state, convBar.layout, save);

  // ---- send bar ----
  const sendHost = h('div', 'send-host');
  const sendBar = new SendBar(sendHost, client, state.send, init.encodings, save);
  if (init.session.kind.endsWith('-server')) {
    const note = h('div', 'conv-note', t('This is a listening server: each accepted connection has its own panel (click it under the server in Connections). Sending here goes to every connected client.'));
    convPane.insertBefore(note, conversation.element);
  }
  app.append(header.head, header.banner, split);
  root.append(app);
  // The toolbars and the send bar are web components whose first render costs tens of ms: attach
  // them once the first hex rows are on screen, so the bytes come first.
  let attached = false;
  const attachControls = () => {
    if (attached) return;
    attached = true;
    convPane.insertBefore(convBar.bar, conversation.element);
    hexPane.attachControls();
    if (wsFrames) hexPane.element.append(wsFrames.element);
    app.append(sendHost);
    if (focusWanted) sendBar.focus();
    document.body.dataset.controls = 'attached';
  };
  /** Asked before the send bar is attached: it takes the keyboard once it is there. */
  let focusWanted = init.focusInput === true;
  const focusInput = () => {
    if (attached) sendBar.focus();
    else focusWanted = true;
  };
  hex.element.addEventListener('hexrendered', function first(e) {
    if ((e as CustomEvent<{ rows: number }>).detail.rows === 0 && source.end > source.start) return;
    hex.element.removeEventListener('hexrendered', first);
    setTimeout(attachControls, 0);
  });
  setTimeout(attachControls, 500);

  const updateHeader = (s: SessionInfo, tr: TranscriptInfo) => {
    header.update(s, tr);
    conversation.setSession(s);
    sendBar.setEnabled(s.canSend && !s.closed, s.closed ? t('Closed sessions cannot send.') : undefined);
    sendBar.setUdpTargets(s.udp);
    // the session's encoding changed (here, in the send bar, or from the palette): both dropdowns and the text follow
    if (s.encoding !== state.encoding) {
      state.encoding = s.encoding;
      convBar.encoding.value = s.encoding;
      sendBar.setEncoding(s.encoding);
      save();
      void conversation.rerender();
    }
    document.body.dataset.sessionState = s.state;
  };

  return { hex, source, conversation, sendBar, updateHeader, focusInput };
}
