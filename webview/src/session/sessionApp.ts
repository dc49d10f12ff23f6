// The session panel: header, conversation and hex viewer side by side (resizable), send bar.
// All data is pulled from the extension host through PanelClient; events only say what changed.
import './session.css';
import { PanelClient, type InitInfo, type PanelEvent, type SessionInfo, type TranscriptInfo } from '../../../src/shared/panelProtocol';
import { button, h, singleSelect, textField, vsc, type SelectLike } from '../dom';
import { HexView, type BytesPerRow, type HexDataSource, type HexPage } from '../hex/hexView';
import { InspectorView } from '../hex/inspectorView';
import { INSPECT_BYTES, inspect } from '../hex/inspector';
import { formatCopy, type CopyFormat } from '../hex/copyFormats';
import { parseOffset } from '../hex/hexFormat';
import { setStrings, t } from '../strings';
import { vscodeApi } from '../vscodeApi';
import { ConversationView, type TimeMode } from './conversationView';
import { SendBar, type SendBarState } from './sendBar';

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

class SessionSource implements HexDataSource {
  start = 0;
  end = 0;
  constructor(private readonly client: PanelClient) {}
  async read(offset: number, length: number): Promise<HexPage> {
    const r = await this.client.call({ type: 'readRange', offset, length });
    return { offset: r.offset, bytes: r.bytes, spans: r.spans.map((s) => ({ offset: s.offset, length: s.length, cls: s.dir })) };
  }
}

export async function startSessionApp(root: HTMLElement): Promise<void> {
  const api = vscodeApi();
  const client = new PanelClient(
    (m) => api.postMessage(m),
    (e) => onEvent(e),
    (raw, reason) => console.warn(`socket-lab: dropped a message from the extension (${reason})`, raw),
  );
  window.addEventListener('message', (e: MessageEvent) => void client.receive(e.data));

  const init = await client.call({ type: 'ready' });
  setStrings(init.strings);
  const saved = api.getState() as Partial<PanelState> | undefined;
  const state: PanelState = {
    render: saved?.render ?? 'text',
    // one encoding per session, kept by the extension: the conversation and the send bar both use it
    encoding: init.session.encoding,
    timeMode: saved?.timeMode ?? 'absolute',
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
    }
  }
  // events that raced the `ready` answer are harmless: the next one carries the full picture
  ui.updateHeader(session, transcript);
  if (state.selection) ui.hex.select(state.selection.start, state.selection.end);
  await ui.conversation.init(transcript);
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

function buildLayout(root: HTMLElement, init: InitInfo, state: PanelState, save: () => void, client: PanelClient) {
  root.textContent = '';
  const app = h('div', 'session-app');

  // ---- header ----
  const head = h('header', 'session-head');
  const title = h('span', 'session-label');
  const kind = h('span', 'session-kind');
  const badge = h('span', 'session-state');
  const counters = h('span', 'session-counters');
  const banner = h('div', 'session-banner');
  banner.setAttribute('role', 'status');
  banner.hidden = true;
  head.append(title, kind, badge, counters);

  // ---- conversation pane ----
  const convPane = h('section', 'pane conv-pane');
  convPane.slot = 'start';
  convPane.setAttribute('aria-label', t('Conversation'));
  const convBar = h('div', 'toolbar');
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
  const time = singleSelect(
    [
      { value: 'absolute', label: t('Clock time') },
      { value: 'relative', label: t('Relative time') },
    ],
    state.timeMode,
    t('Time'),
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
  convBar.append(render, encoding, time, layout);
  const conversation = new ConversationView(convPane, client, () => ({ render: state.render, encoding: state.encoding, timeMode: state.timeMode }), init.session.multiPeer, (c) => {
    hex.select(c.offset, c.offset + c.length);
  });
  const rerenderOn = (s: SelectLike, apply: (v: string) => void) =>
    s.addEventListener('change', () => {
      apply(s.value);
      save();
      void conversation.rerender();
    });
  rerenderOn(render, (v) => (state.render = v as 'text' | 'hex'));
  rerenderOn(encoding, (v) => {
    state.encoding = v;
    void client.call({ type: 'setEncoding', encoding: v });
  });
  rerenderOn(time, (v) => (state.timeMode = v as TimeMode));

  // ---- hex pane ----
  const hexPane = h('section', 'pane hex-pane');
  hexPane.slot = 'end';
  hexPane.setAttribute('aria-label', t('Hex viewer'));
  const hexBar = h('div', 'toolbar hex-bar');
  const bpr = singleSelect(
    [{ value: 'auto', label: t('Fit to width') }, ...[8, 16, 32].map((n) => ({ value: String(n), label: t('{0} bytes per row', n) }))],
    String(state.bytesPerRow),
    t('Bytes per row'),
  );
  bpr.classList.add('hex-bpr');
  const goTo = textField({ class: 'hex-goto', placeholder: t('Go to offset (0x1f or 31)'), 'aria-label': t('Go to offset') });
  const findMode = singleSelect(
    [
      { value: 'hex', label: t('Hex') },
      { value: 'text', label: t('Text') },
    ],
    'text',
    t('Find as'),
  );
  findMode.classList.add('hex-find-mode');
  const find = textField({ class: 'hex-find', placeholder: t('Find'), 'aria-label': t('Find') });
  const findNext = button(t('Find next'), { secondary: '', class: 'hex-find-next' });
  const copyFormat = singleSelect(
    [
      { value: 'hex', label: t('Copy as hex') },
      { value: 'text', label: t('Copy as text') },
      { value: 'python', label: t("Copy as Python b'…'") },
      { value: 'c', label: t('Copy as C array') },
    ],
    'hex',
    t('Copy format'),
  );
  copyFormat.classList.add('hex-copy-format');
  const copyBtn = button(t('Copy'), { secondary: '', class: 'hex-copy' });
  hexBar.append(bpr, goTo, findMode, find, findNext, copyFormat, copyBtn);
  const hexMsg = h('div', 'hex-message');
  hexMsg.setAttribute('role', 'status');
  const hexBody = h('div', 'hex-body');
  const hex = new HexView(hexBody, {
    bytesPerRow: state.bytesPerRow === 'auto' ? 16 : state.bytesPerRow,
    fit: state.bytesPerRow === 'auto',
    followTail: true,
    ariaLabel: t('Bytes of the conversation'),
  });
  // the hex rows are what the user waits for: pull their first page before building anything else
  const source = new SessionSource(client);
  source.start = init.transcript.startOffset;
  source.end = init.transcript.endOffset;
  hex.setSource(source);
  const inspectorBox = h('div', 'inspector-box');
  inspectorBox.append(h('div', 'inspector-title', t('Data inspector')));
  const inspector = new InspectorView(inspectorBox, { type: t('Type'), le: t('Little endian'), be: t('Big endian') });
  const inspectorHint = h('div', 'inspector-hint', t('Click a byte to decode it here.'));
  inspectorBox.append(inspectorHint);
  hexPane.append(hexMsg, hexBody);

  bpr.addEventListener('change', () => {
    state.bytesPerRow = bpr.value === 'auto' ? 'auto' : (Number(bpr.value) as BytesPerRow);
    hex.setFit(state.bytesPerRow === 'auto');
    if (state.bytesPerRow !== 'auto') hex.setBytesPerRow(state.bytesPerRow);
    save();
  });
  goTo.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key !== 'Enter') return;
    const o = parseOffset(goTo.value);
    if (o === undefined || o < source.start || o >= source.end) {
      goTo.invalid = true;
      hexMsg.textContent = t('Offset out of range: the held bytes are {0}–{1}.', source.start, Math.max(source.start, source.end - 1));
      return;
    }
    goTo.invalid = false;
    hexMsg.textContent = '';
    hex.select(o, o + 1);
    hex.focus();
  });
  const doFind = async () => {
    if (!find.value) return;
    const from = hex.selection ? hex.selection.start + 1 : source.start;
    const r = await client.call({ type: 'find', query: find.value, mode: findMode.value as 'hex' | 'text', encoding: state.encoding, from });
    find.invalid = !!r.error;
    if (r.error) hexMsg.textContent = r.error.message;
    else if (r.found) {
      hexMsg.textContent = t('Found at offset {0}.', r.found.offset);
      hex.select(r.found.offset, r.found.offset + r.found.length);
    } else hexMsg.textContent = t('Not found after offset {0}.', from);
  };
  find.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter') void doFind();
  });
  findNext.addEventListener('click', () => void doFind());
  const doCopy = async (format: CopyFormat) => {
    const sel = hex.selection;
    if (!sel) {
      hexMsg.textContent = t('Select bytes first.');
      return;
    }
    const end = Math.max(sel.end, sel.start + 1);
    let text: string;
    if (format === 'text') {
      const r = await client.call({ type: 'decode', offset: sel.start, length: end - sel.start, encoding: state.encoding });
      text = r.parts.map((p) => p.t).join('');
    } else text = formatCopy(await hex.read(sel.start, end - sel.start), format);
    await client.call({ type: 'copy', text });
    hexMsg.textContent = t('Copied {0} bytes.', end - sel.start);
  };
  copyBtn.addEventListener('click', () => void doCopy(copyFormat.value as CopyFormat));
  hex.element.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'c') {
      e.preventDefault();
      void doCopy('hex');
    }
  });

  hex.onDidClickByte((offset) => conversation.reveal(offset));
  let inspectSeq = 0;
  hex.onDidChangeSelection((sel) => {
    state.selection = { start: sel.start, end: sel.end };
    save();
    const my = ++inspectSeq;
    const len = sel.end - sel.start;
    hexMsg.textContent = len > 0 ? t('Offset {0} (0x{1}), {2} bytes selected', sel.start, sel.start.toString(16), len) : t('Offset {0} (0x{1})', sel.cursor, sel.cursor.toString(16));
    const at = len > 0 ? sel.start : sel.cursor;
    void hex.read(at, Math.max(INSPECT_BYTES, Math.min(len, 4096))).then((bytes) => {
      if (my !== inspectSeq) return;
      inspectorHint.hidden = true;
      inspector.show(
        inspect(bytes, {
          selectionLength: len,
          available: source.end - at,
          strings: { invalid: (e) => t('not valid {0}', e), announced: (n, have) => (have >= n ? t('{0} bytes announced, all present', n) : t('{0} bytes announced, {1} present', n, have)) },
        }),
      );
    });
  });

  // ---- split + send bar ----
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
  const sendHost = h('div', 'send-host');
  const sendBar = new SendBar(sendHost, client, state.send, init.encodings, save);
  if (init.session.kind === 'tcp-server' || init.session.kind === 'unix-server') {
    const note = h('div', 'conv-note', t('This is a listening server: each accepted connection has its own panel (click it under the server in Connections). Sending here goes to every connected client.'));
    convPane.insertBefore(note, conversation.element);
  }
  app.append(head, banner, split);
  root.append(app);
  // The toolbars and the send bar are web components whose first render costs tens of ms: attach
  // them once the first hex rows are on screen, so the bytes come first.
  let attached = false;
  const attachControls = () => {
    if (attached) return;
    attached = true;
    convPane.insertBefore(convBar, conversation.element);
    hexPane.insertBefore(hexBar, hexMsg);
    hexPane.append(inspectorBox);
    app.append(sendHost);
    if (focusWanted) takeKeyboard();
    document.body.dataset.controls = 'attached';
  };
  /** Asked before the send bar is attached: it takes the keyboard once it is there. */
  let focusWanted = init.focusInput === true;
  const focusInput = () => {
    focusWanted = true;
    if (attached) takeKeyboard();
  };
  // The send box takes the keyboard once, and only while this page has it (VS Code gives it to a panel opened to be
  // used): not later, from whatever the user went to meanwhile.
  const takeKeyboard = () => {
    focusWanted = false;
    if (document.hasFocus()) sendBar.focus();
  };
  hex.element.addEventListener('hexrendered', function first(e) {
    if ((e as CustomEvent<{ rows: number }>).detail.rows === 0 && source.end > source.start) return;
    hex.element.removeEventListener('hexrendered', first);
    setTimeout(attachControls, 0);
  });
  setTimeout(attachControls, 500);

  const updateHeader = (s: SessionInfo, tr: TranscriptInfo) => {
    title.textContent = s.label;
    kind.textContent = s.role ?? s.kind;
    badge.textContent = stateWords(s.state);
    badge.dataset.state = s.state;
    const bytes = tr.endOffset;
    counters.textContent = t('{0} bytes, {1} chunks', bytes, tr.nextSeq);
    banner.hidden = !s.closed;
    banner.textContent = s.closed ? (s.error ? t('This session is closed ({0}: {1}). The transcript stays readable.', s.error.code, s.error.message) : t('This session is closed. The transcript stays readable.')) : '';
    // a closed client connects again from here, to the same place with the same settings
    if (s.closed && (s.kind === 'tcp-client' || s.kind === 'unix-client')) {
      const again = button(t('Reconnect'), { class: 'session-reconnect' });
      again.addEventListener('click', () => void client.call({ type: 'reconnect' }).catch(() => undefined));
      banner.append(' ', again);
    }
    conversation.setSession(s);
    sendBar.setEnabled(s.canSend && !s.closed, s.closed ? t('Closed sessions cannot send.') : undefined);
    sendBar.setUdpTargets(s.udp);
    // the session's encoding changed (here, in the send bar, or from the palette): both dropdowns and the text follow
    if (s.encoding !== state.encoding) {
      state.encoding = s.encoding;
      encoding.value = s.encoding;
      sendBar.setEncoding(s.encoding);
      save();
      void conversation.rerender();
    }
    document.body.dataset.sessionState = s.state;
  };

  return { hex, source, conversation, sendBar, updateHeader, focusInput };
}
