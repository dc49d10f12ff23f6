// Commands that open, drive and close sessions. Each takes an arguments object (keybindings, tasks,
// tests, other commands) and prompts with validated inputs only for what is missing.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { CodecError } from '../../core/codec/codecError';
import { checkEncoding, encodings } from '../../core/codec/encoding';
import { parseFraming, type Framing } from '../../core/codec/framing';
import { buildPayload, parseLineEnding } from '../../core/codec/payload';
import { errorLanguageFor, errorSentence, formatAddress, SocketLabError } from '../../core/errors';
import { ServerBehaviour, ServerMode, serverModes, Session } from '../../core/sessions/session';
import { UdpSession } from '../../core/sessions/udpSession';
import { checkPort, isLoopback, isServer, parseHostPort, SessionManager } from '../../core/sessions/sessionManager';
import { WsConnectionSession } from '../../core/sessions/wsSession';
import { checkUnixPath, sharedSocketDir } from '../../core/sessions/unixPath';
import { readSocketTableShared } from '../../core/ossockets/socketTable';
import { connectableHost } from '../../core/ossockets/socketText';
import { registerCommand } from '../commands';
import { modeText, roleText, sessionPickItem } from './connectionsTreeProvider';
import { requireTrust } from '../trust';
import { tlsConnectArgs, tlsServerArgs } from './tlsCommands';
import type { SessionPanelManager } from '../panels/sessionPanel';
import { udpSocketOptions } from './udpGroups';

const RECENT_KEY = 'socketLab.recentTargets';
const RECENT_MAX = 8;
type RecentKind = 'tcpServer' | 'tcpConnect' | 'udp' | 'udpSend' | 'unixServer' | 'unixConnect' | 'tlsServer' | 'tlsConnect';
/** TCP, or TLS on TCP: the same commands and questions, a different transport. */
type Transport = 'tcp' | 'tls';
/** A row of a target box: `target` is what choosing it answers (none for a row that explains a problem). */
interface TargetItem extends vscode.QuickPickItem {
  target?: string;
}

const lang = () => errorLanguageFor(vscode.env.language);

/** One sentence for the user in their language, whatever was thrown. */
export function userMessage(e: unknown): string {
  return errorSentence(e, lang()).message;
}

type Args = Record<string, unknown>;

/** Tree context menus pass the Session itself; palette/keybindings pass an object or nothing. */
function argsOf(arg: unknown): Args {
  if (arg instanceof Session) return { sessionId: arg.id };
  if (arg && typeof arg === 'object') return arg as Args;
  return {};
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

function validateHostPort(allowZero: boolean) {
  return (v: string): string | undefined => {
    if (!v.trim()) return vscode.l10n.t('Type a port (8000) or host:port (127.0.0.1:8000).');
    if (/:\s*$/.test(v)) return vscode.l10n.t('Type the port after the colon (127.0.0.1:8000).');
    try {
      parseHostPort(v, allowZero);
      return undefined;
    } catch (e) {
      return userMessage(e);
    }
  };
}

export class SessionCommands {
  /** Non-loopback addresses the user already agreed to bind in this window. */
  private readonly confirmedBinds = new Set<string>();
  /** The arguments each TLS client was connected with (servername, insecure, ca…), for Reconnect. */
  private readonly tlsArgs = new Map<string, Args>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly manager: SessionManager,
    private readonly panels: SessionPanelManager,
  ) {}

  private recents(kind: RecentKind): string[] {
    return this.context.globalState.get<Record<string, string[]>>(RECENT_KEY, {})[kind] ?? [];
  }

  private async remember(kind: RecentKind, value: string): Promise<void> {
    const all = { ...this.context.globalState.get<Record<string, string[]>>(RECENT_KEY, {}) };
    all[kind] = [value, ...(all[kind] ?? []).filter((v) => v !== value)].slice(0, RECENT_MAX);
    await this.context.globalState.update(RECENT_KEY, all);
  }

  /**
   * One box: what the user types is accepted with Enter as soon as it is valid; below it, suggestions (live listeners
   * first, then recent targets) to pick instead. Invalid text shows why in the first row.
   */
  private askTarget(kind: RecentKind, prompt: string, placeHolder: string, validate: (v: string) => string | undefined, value = '', suggest?: () => Promise<TargetItem[]>, emptyChoice?: string): Promise<string | undefined> {
    const qp = vscode.window.createQuickPick<TargetItem>();
    qp.title = prompt;
    qp.placeholder = placeHolder;
    qp.value = value;
    qp.ignoreFocusOut = true;
    qp.matchOnDescription = true;
    const recentText = vscode.l10n.t('recent');
    // a recent server port that one of our live servers holds would only fail: leave it out
    const held = new Set(this.manager.all().filter((x) => x.isAlive && (x.kind === 'tcp-server' || x.kind === 'tls-server' || x.kind === 'udp')).map((x) => String(x.localPort)));
    const free = (r: string) => !(kind === 'tcpServer' || kind === 'tlsServer' || kind === 'udp') || !held.has(r.replace(/^.*:/, ''));
    const recent: TargetItem[] = this.recents(kind).filter((r) => validate(r) === undefined && free(r)).map((r) => ({ label: r, description: recentText, target: r }));
    let suggested: TargetItem[] = [];
    const render = () => {
      const typed = qp.value.trim();
      const known = [...suggested, ...recent.filter((r) => !suggested.some((x) => x.target === r.target))];
      const exact = known.find((k) => k.target === typed);
      const problem = typed ? validate(typed) : undefined;
      // an optional answer: Enter on an empty box answers '' (emptyChoice says what that means)
      const none: TargetItem[] = !typed && emptyChoice ? [{ label: emptyChoice, target: '', alwaysShow: true }] : [];
      const first: TargetItem[] = !typed || exact ? none : [problem ? { label: `$(error) ${problem}`, alwaysShow: true } : { label: typed, description: vscode.l10n.t('press Enter to use it'), target: typed, alwaysShow: true }];
      qp.items = [...first, ...known];
      const active = first[0] ?? exact;
      if (active) qp.activeItems = [active];
    };
    render();
    if (suggest) {
      qp.busy = true;
      void suggest()
        .then((items) => {
          suggested = items;
          render();
        }, () => undefined)
        .finally(() => (qp.busy = false));
    }
    return new Promise((resolve) => {
      let result: string | undefined;
      qp.onDidChangeValue(render);
      qp.onDidAccept(() => {
        // Enter right after typing may reach us before the rows caught up with the text: valid typed text wins over
        // a row that does not even extend it (a suggestion is chosen by moving to it, or by typing its start)
        const typed = qp.value.trim();
        let target = qp.activeItems[0]?.target;
        if (typed && target !== typed && !target?.startsWith(typed) && validate(typed) === undefined) target = typed;
        if (target === undefined) return; // an explanation row: keep the box open
        result = target;
        qp.hide();
      });
      qp.onDidHide(() => {
        qp.dispose();
        resolve(result);
      });
      qp.show();
    });
  }

  private async announce(s: Session): Promise<void> {
    const address = formatAddress(s.localAddress ?? '127.0.0.1', s.localPort);
    const copy = vscode.l10n.t('Copy Address');
    const connect = vscode.l10n.t('Connect a Client');
    const tls = s.kind === 'tls-server';
    const answer = await vscode.window.showInformationMessage(tls ? vscode.l10n.t('The TLS server listens on {0}.', address) : vscode.l10n.t('The TCP server listens on {0}.', address), copy, connect);
    if (answer === copy) await vscode.env.clipboard.writeText(address);
    if (answer === connect) await this.connectTcp({ host: connectableHost(s.localAddress ?? ''), port: s.localPort, openPanel: true }, tls ? 'tls' : 'tcp');
  }

  /** Where a client may connect: Socket Lab's own listening servers, then other programs' listeners on this machine. */
  private async listeners(transport: Transport = 'tcp'): Promise<TargetItem[]> {
    const own: TargetItem[] = this.manager
      .all()
      .filter((s) => s.kind === `${transport}-server` && s.state === 'listening' && s.localPort !== undefined)
      .map((s) => {
        const target = formatAddress(connectableHost(s.localAddress ?? ''), s.localPort);
        return { label: target, description: vscode.l10n.t('Socket Lab server · {0}', modeText(s.behaviour)), target };
      });
    const table = await readSocketTableShared({ unix: false });
    // not the extension host's own servers (listed above) nor its parent's (VS Code's own server)
    const others = table.sockets
      .filter((x) => x.protocol === 'tcp' && x.state === 'LISTEN' && x.pid !== process.pid && x.pid !== process.ppid && (x.localAddress === '0.0.0.0' || x.localAddress === '::' || isLoopback(x.localAddress)))
      .map((x) => {
        const target = formatAddress(connectableHost(x.localAddress), x.localPort);
        return { label: target, description: x.pid !== undefined ? vscode.l10n.t('{0} (pid {1})', x.command ?? '?', x.pid) : vscode.l10n.t('a running program'), target };
      })
      .filter((x, i, all) => !own.some((o) => o.target === x.target) && all.findIndex((y) => y.target === x.target) === i)
      .slice(0, 10);
    return [...own, ...others];
  }

  /** A new server's mode (rules are chosen once it runs: Answer by Rules…). */
  async askStartMode(): Promise<ServerMode | undefined> {
    const m = await this.askMode(undefined, false);
    return m === 'rules' ? undefined : m;
  }

  /** A mode, or 'rules' when offered (the next question is which .wire block). */
  private async askMode(current: ServerBehaviour | undefined, offerRules = true): Promise<ServerBehaviour | undefined> {
    const descriptions: Record<ServerMode, string> = {
      manual: vscode.l10n.t('you type the answers in its panel'),
      echo: vscode.l10n.t('sends back what it receives'),
      upper: vscode.l10n.t('sends it back in upper case'),
      sink: vscode.l10n.t('counts and discards'),
      'print-only': vscode.l10n.t('shows what arrives, never answers'),
    };
    const items: (vscode.QuickPickItem & { mode: ServerBehaviour })[] = serverModes.map((m) => ({ label: modeText(m), description: m === current ? `${descriptions[m]} · ${vscode.l10n.t('current')}` : descriptions[m], mode: m }));
    const rules = vscode.l10n.t('answers by the rules of a .wire server block…');
    if (offerRules) items.push({ label: modeText('rules'), description: current === 'rules' ? `${rules} · ${vscode.l10n.t('current')}` : rules, mode: 'rules' });
    const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Server behaviour'), ignoreFocusOut: true });
    return picked?.mode;
  }

  /** Asks once (modal) before listening on an address other machines can reach (socketLab tasks ask here too). */
  async confirmBind(host: string, args: Args = {}): Promise<boolean> {
    if (isLoopback(host) || args.confirmed === true || this.confirmedBinds.has(host)) return true;
    const listen = vscode.l10n.t('Listen on {0}', host);
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('Listen on {0}? Other machines on your network will be able to connect to it. Use 127.0.0.1 to keep it on this computer.', host),
      { modal: true },
      listen,
    );
    if (answer !== listen) return false;
    this.confirmedBinds.add(host);
    return true;
  }

  mode(args: Args): ServerMode | undefined {
    const m = str(args.mode);
    if (m === undefined) return undefined;
    if (m === 'print') return 'print-only';
    if ((serverModes as readonly string[]).includes(m)) return m as ServerMode;
    throw new SocketLabError('EUNKNOWN', { detail: `mode "${m}"` });
  }

  private framing(args: Args): Framing | undefined {
    const f = str(args.framing);
    return f === undefined ? undefined : parseFraming(f);
  }

  /** Runs a start/connect, shows a failure's sentence, and returns the session id (undefined on failure). */
  async open(start: () => Promise<Session>, port?: number): Promise<string | undefined> {
    try {
      const s = await start();
      return s.id;
    } catch (e) {
      // the port is held by one of our own servers: say so (the OS would name the editor's own process) and offer to stop it
      const own = (e as { code?: unknown }).code === 'EADDRINUSE' && port ? this.manager.all().find((x) => x.isAlive && x.parentId === undefined && x.localPort === port && !x.kind.endsWith('-client')) : undefined;
      if (!own) {
        void vscode.window.showErrorMessage(userMessage(e));
        return undefined;
      }
      const stop = vscode.l10n.t('Stop It and Start Again');
      const answer = await vscode.window.showErrorMessage(vscode.l10n.t('Port {0} is taken by Socket Lab\'s own {1} ({2}).', port ?? 0, roleText(own), own.label), stop);
      if (answer !== stop) return undefined;
      own.close();
      await new Promise((r) => setTimeout(r, 100));
      return this.open(start);
    }
  }

  /** `socketLab.tcp.startServer` and `socketLab.tls.startServer {host?, port?, mode?, framing?, cert?, key?, alpn?}`. */
  async startTcpServer(arg?: unknown, transport: Transport = 'tcp'): Promise<string | undefined> {
    const args = argsOf(arg);
    let host = str(args.host);
    let port: number;
    try {
      if (args.port === undefined) {
        const title = transport === 'tls' ? vscode.l10n.t('Start TLS Server: port or host:port') : vscode.l10n.t('Start TCP Server: port or host:port');
        const t = await this.askTarget(`${transport}Server`, title, vscode.l10n.t('8000 (binds 127.0.0.1), 0 picks a free port, or 0.0.0.0:8000'), validateHostPort(true), '0');
        if (t === undefined) return undefined;
        const hp = parseHostPort(t, true);
        host = hp.host ?? host;
        port = hp.port;
      } else port = checkPort(args.port);
      let mode = this.mode(args);
      if (mode === undefined && args.port === undefined) mode = await this.askStartMode();
      if (mode === undefined && args.port === undefined) return undefined;
      host = host?.trim() || '127.0.0.1';
      if (!(await this.confirmBind(host, args))) return undefined;
      const framing = this.framing(args);
      const opts = { host, port, mode: mode ?? 'manual', framing };
      const id = await this.open(() => (transport === 'tls' ? this.manager.startTlsServer({ ...opts, ...tlsServerArgs(args) }) : this.manager.startTcpServer(opts)), port);
      if (id) await this.remember(`${transport}Server`, host === '127.0.0.1' ? String(port) : formatAddress(host, port));
      // port 0: the OS chose one; say which, with the two things one does next (a row cuts it off)
      const started = id ? this.manager.get(id) : undefined;
      if (started && port === 0 && args.port === undefined) void this.announce(started);
      return id;
    } catch (e) {
      void vscode.window.showErrorMessage(userMessage(e));
      return undefined;
    }
  }

  /** `socketLab.tcp.connect` and `socketLab.tls.connect {host?, port?, mode?, framing?, servername?, insecure?, ca?, alpn?}`. */
  async connectTcp(arg?: unknown, transport: Transport = 'tcp'): Promise<string | undefined> {
    const args = argsOf(arg);
    try {
      let host = str(args.host);
      let port: number;
      if (args.port === undefined) {
        const title = transport === 'tls' ? vscode.l10n.t('Connect TLS Client: host:port') : vscode.l10n.t('Connect TCP Client: host:port');
        const t = await this.askTarget(`${transport}Connect`, title, vscode.l10n.t('host:port, or a port on 127.0.0.1'), validateHostPort(false), '', () => this.listeners(transport));
        if (t === undefined) return undefined;
        const hp = parseHostPort(t, false);
        host = hp.host ?? host;
        port = hp.port;
      } else port = checkPort(args.port, false);
      host = host?.trim() || '127.0.0.1';
      const target = formatAddress(host, port);
      await this.remember(`${transport}Connect`, target);
      // Capture then Connect: the capture runs before the SYN leaves, so the handshake is in it
      if (args.capture === true && !(await vscode.commands.executeCommand<{ captureId: string } | undefined>('socketLab.capture.start', { host, port, protocol: 'tcp' }))) return undefined;
      const opts = { host, port, mode: this.mode(args), framing: this.framing(args) };
      const id = await this.open(() => (transport === 'tls' ? this.manager.connectTls({ ...opts, ...tlsConnectArgs(this.manager, args, port) }) : this.manager.connectTcp(opts)));
      if (id && transport === 'tls') this.tlsArgs.set(id, args);
      // asked for a target, the user is about to send: the panel opens with the keyboard in its send box
      // (not after Capture then Connect, whose packet panel is the point)
      if ((args.port === undefined || args.openPanel === true) && args.capture !== true) this.showPanel(id);
      return id;
    } catch (e) {
      void vscode.window.showErrorMessage(userMessage(e));
      return undefined;
    }
  }

  async openUdp(arg?: unknown): Promise<string | undefined> {
    const args = argsOf(arg);
    try {
      let host = str(args.host);
      let port = args.port === undefined ? undefined : checkPort(args.port);
      if (arg === undefined) {
        const unbound = { label: vscode.l10n.t('Unbound'), description: vscode.l10n.t('send only; the OS picks a port on the first send'), bind: false };
        const bind = { label: vscode.l10n.t('Bind to a port…'), description: vscode.l10n.t('receive datagrams on host:port'), bind: true };
        const pick = await vscode.window.showQuickPick([bind, unbound], { title: vscode.l10n.t('Open UDP Socket'), ignoreFocusOut: true });
        if (!pick) return undefined;
        if (pick.bind) {
          const t = await this.askTarget('udp', vscode.l10n.t('Open UDP Socket: port or host:port to bind'), vscode.l10n.t('9000 (binds 127.0.0.1), 0 picks a free port'), validateHostPort(true), '0');
          if (t === undefined) return undefined;
          const hp = parseHostPort(t, true);
          host = hp.host;
          port = hp.port;
          await this.remember('udp', t.trim());
        }
        // optional: where Send goes until someone else is heard from (the panel's destination box can override it)
        const d = await this.askTarget('udpSend', vscode.l10n.t('Open UDP Socket: default destination (optional)'), vscode.l10n.t('host:port, e.g. 127.0.0.1:9000'), validateHostPort(false), '', undefined, vscode.l10n.t('No default destination (give one when sending)'));
        if (d === undefined) return undefined;
        if (d) {
          const hp = parseHostPort(d, false);
          args.remoteHost = hp.host ?? '127.0.0.1';
          args.remotePort = hp.port;
          await this.remember('udpSend', d.trim());
        }
      }
      // any bind beyond loopback asks, also when only a host is given ({ host: "0.0.0.0" } binds a random port there)
      if (port !== undefined || host?.trim()) {
        host = host?.trim() || '127.0.0.1';
        if (!(await this.confirmBind(host, args))) return undefined;
      }
      const remotePort = args.remotePort === undefined ? undefined : checkPort(args.remotePort, false);
      const id = await this.open(() => this.manager.openUdp({ host, port, remoteHost: str(args.remoteHost), remotePort, mode: this.mode(args), framing: this.framing(args), ...udpSocketOptions(args) }));
      if (arg === undefined) this.showPanel(id);
      return id;
    } catch (e) {
      void vscode.window.showErrorMessage(userMessage(e));
      return undefined;
    }
  }

  private async unixPath(args: Args, kind: RecentKind, title: string): Promise<string | undefined> {
    const p = str(args.path);
    if (p) return p;
    // the default name sits in a private 0700 folder: in /tmp another local user could take it first
    const suggested = sharedSocketDir().socketPath('socket-lab.sock');
    const validate = (v: string): string | undefined => {
      if (!v.trim()) return vscode.l10n.t('Type the path of the socket file.');
      try {
        checkUnixPath(v.trim());
        return undefined;
      } catch (e) {
        return userMessage(e);
      }
    };
    const t = await this.askTarget(kind, title, suggested, validate, suggested);
    if (t) await this.remember(kind, t.trim());
    return t?.trim();
  }

  async startUnixServer(arg?: unknown): Promise<string | undefined> {
    const args = argsOf(arg);
    try {
      const path = await this.unixPath(args, 'unixServer', vscode.l10n.t('Start Unix Server: socket path'));
      if (!path) return undefined;
      let mode = this.mode(args);
      if (mode === undefined && args.path === undefined) mode = await this.askStartMode();
      if (mode === undefined && args.path === undefined) return undefined;
      return await this.open(() => this.manager.startUnixServer({ path, mode, framing: this.framing(args) }));
    } catch (e) {
      void vscode.window.showErrorMessage(userMessage(e));
      return undefined;
    }
  }

  async connectUnix(arg?: unknown): Promise<string | undefined> {
    const args = argsOf(arg);
    try {
      const path = await this.unixPath(args, 'unixConnect', vscode.l10n.t('Connect Unix Client: socket path'));
      if (!path) return undefined;
      const id = await this.open(() => this.manager.connectUnix({ path, mode: this.mode(args), framing: this.framing(args) }));
      if (args.path === undefined) this.showPanel(id);
      return id;
    } catch (e) {
      void vscode.window.showErrorMessage(userMessage(e));
      return undefined;
    }
  }

  /** Opens a session's panel to be used: in front, the keyboard in its send box. */
  showPanel(id: string | undefined): void {
    if (id) this.panels.open(id);
  }

  /** The session from args, else the only candidate, else a quick pick among those matching `ok`. */
  async pickSession(args: Args, ok: (s: Session) => boolean, title: string): Promise<Session | undefined> {
    const id = str(args.sessionId);
    if (id) {
      const s = this.manager.get(id);
      if (!s) void vscode.window.showErrorMessage(vscode.l10n.t('Session {0} no longer exists (it may have been cleared).', id));
      return s;
    }
    const candidates = this.manager.all().filter(ok);
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No session can do that right now. Start a server or connect a client first.'));
      return undefined;
    }
    if (candidates.length === 1) return candidates[0];
    const picked = await vscode.window.showQuickPick(candidates.map((s) => ({ ...sessionPickItem(s), s })), { title, matchOnDescription: true, ignoreFocusOut: true });
    return picked?.s;
  }

  /** The encoding of a send: the one named in the arguments, else the session's own (one per session). */
  private encoding(args: Args, s: Session): string {
    return str(args.encoding) ?? this.manager.encodingOf(s);
  }

  /**
   * An input box for what to send; its title names the session's encoding and its button changes it (for the session,
   * so the panel shows the text in it too). Resolves undefined when cancelled.
   */
  private async askPayload(s: Session, asHex: boolean, validate: (v: string, encoding: string) => string | undefined, args: Args): Promise<{ value: string; encoding: string } | undefined> {
    let value = '';
    for (;;) {
      const encoding = checkEncoding(this.encoding(args, s));
      const box = vscode.window.createInputBox();
      box.title = asHex ? vscode.l10n.t('Send hex to {0}', s.label) : vscode.l10n.t('Send text to {0} ({1})', s.label, encoding);
      box.prompt = asHex ? vscode.l10n.t('Bytes as hex: 48 65 6c, 48656c or 0x48,0x65') : vscode.l10n.t('Text; escapes such as {0}, {1} and {2} are understood', '\\r\\n', '\\x00', '\\u5e74');
      box.value = value;
      box.ignoreFocusOut = true;
      const change = { iconPath: new vscode.ThemeIcon('symbol-key'), tooltip: vscode.l10n.t('Change the encoding of {0} (now {1})', s.label, encoding) };
      if (!asHex) box.buttons = [change];
      const answer = await new Promise<string | 'change' | undefined>((resolve) => {
        let done = false;
        const finish = (v: string | 'change' | undefined) => {
          if (done) return;
          done = true;
          resolve(v);
          box.dispose();
        };
        box.onDidChangeValue((v) => (box.validationMessage = v ? validate(v, encoding) : undefined));
        box.onDidAccept(() => {
          if (!validate(box.value, encoding)) finish(box.value);
        });
        box.onDidTriggerButton(() => {
          value = box.value;
          finish('change');
        });
        box.onDidHide(() => finish(undefined));
        box.show();
      });
      if (answer !== 'change') return answer === undefined ? undefined : { value: answer, encoding };
      const picked = await vscode.window.showQuickPick(
        encodings.map((e) => ({ label: e, description: e === encoding ? vscode.l10n.t('current') : undefined })),
        { title: vscode.l10n.t('Encoding of {0}', s.label) },
      );
      if (picked) {
        s.setEncoding(picked.label);
        delete args.encoding;
      }
    }
  }

  /** `socketLab.session.send {sessionId?, text?|hex?|escapes?, encoding?, lineEnding?, host?, port?}` → bytes sent. */
  async send(arg?: unknown, inputKind: 'text' | 'hex' = 'text'): Promise<number | undefined> {
    const args = argsOf(arg);
    const canSend = (x: Session) => x.isAlive && x.state !== 'connecting' && !(isServer(x) && !x.children.some((c) => c.isAlive));
    const s = await this.pickSession(args, canSend, vscode.l10n.t('Send to which session?'));
    if (!s || !(await this.askUdpDestination(s, args))) return undefined;
    try {
      let encoding = checkEncoding(this.encoding(args, s));
      const text = str(args.text);
      let hex = str(args.hex);
      let escaped = str(args.escapes);
      if (text === undefined && hex === undefined && escaped === undefined) {
        const asHex = inputKind === 'hex';
        // typed text understands escapes; a wrong hex digit or escape is rejected in the box, with the reason
        const validate = (x: string, e: string) => catchCodec(() => buildPayload(asHex ? { hex: x } : { escaped: x, encoding: e }))?.localized(lang());
        const answer = await this.askPayload(s, asHex, validate, args);
        if (answer === undefined) return undefined;
        encoding = answer.encoding;
        if (asHex) hex = answer.value;
        else escaped = answer.value;
      }
      const bytes = buildPayload({ text, hex, escaped, encoding, lineEnding: parseLineEnding(str(args.lineEnding) ?? 'none') });
      return await this.sendBytes(s, bytes, args);
    } catch (e) {
      void vscode.window.showErrorMessage(userMessage(e));
      return undefined;
    }
  }

  private async sendBytes(s: Session, bytes: Uint8Array, args: Args): Promise<number> {
    const port = args.port === undefined ? undefined : checkPort(args.port, false);
    await s.send(bytes, { host: str(args.host), port, framing: this.framing(args) });
    return bytes.length;
  }

  /**
   * A UDP socket with no default destination and nobody heard from yet: ask where to send (recent destinations
   * offered) and put it into `args`. False when the user cancelled.
   */
  private async askUdpDestination(s: Session, args: Args): Promise<boolean> {
    if (!(s instanceof UdpSession) || args.port !== undefined || s.remotePort !== undefined || s.lastPeerAddress !== undefined) return true;
    const t = await this.askTarget('udpSend', vscode.l10n.t('Send from {0} to: host:port', s.label), '127.0.0.1:9000', validateHostPort(false), '127.0.0.1:');
    if (t === undefined) return false;
    const hp = parseHostPort(t, false);
    args.host = hp.host ?? '127.0.0.1';
    args.port = hp.port;
    await this.remember('udpSend', t.trim());
    return true;
  }

  /** `socketLab.session.sendFile {sessionId?, path?}`: streamed with backpressure → bytes sent. */
  async sendFile(arg?: unknown): Promise<number | undefined> {
    const args = argsOf(arg);
    const s = await this.pickSession(args, (x) => x.isAlive && x.kind !== 'tcp-server' && x.kind !== 'unix-server', vscode.l10n.t('Send a file to which session?'));
    if (!s || !(await this.askUdpDestination(s, args))) return undefined;
    let file = str(args.path);
    // Restricted Mode: a path in the arguments may come from the untrusted workspace (a task, a link); the dialog is the user's own choice
    if (file && !requireTrust(vscode.l10n.t('Sending a file named in the command\'s arguments (run Send File without a path to pick the file yourself)'))) return undefined;
    if (!file) {
      const uris = await vscode.window.showOpenDialog({ canSelectMany: false, title: vscode.l10n.t('Send a file to {0}', s.label) });
      file = uris?.[0]?.fsPath;
    }
    if (!file) return undefined;
    try {
      const size = fs.statSync(file).size;
      const port = args.port === undefined ? undefined : checkPort(args.port, false);
      const stream = fs.createReadStream(file, { highWaterMark: 64 * 1024 });
      const f = file;
      return await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Sending {0}', f) }, () =>
        s.sendStream(stream, size, { host: str(args.host), port, framing: this.framing(args) }),
      );
    } catch (e) {
      void vscode.window.showErrorMessage(userMessage(e));
      return undefined;
    }
  }

  /** `socketLab.session.reconnect {sessionId?}`: a closed client connects again to the same place, same settings. */
  async reconnect(arg?: unknown): Promise<string | undefined> {
    const s = await this.pickSession(argsOf(arg), (x) => x.kind.endsWith('-client') && !x.isAlive, vscode.l10n.t('Reconnect which client?'));
    if (!s) return undefined;
    const again = { mode: s.mode, framing: s.framing };
    const inet = { host: s.remoteAddress ?? '127.0.0.1', port: s.remotePort!, ...again };
    const id = await this.open(() =>
      s instanceof WsConnectionSession && s.connectOptions
        ? this.manager.connectWs({ ...s.connectOptions, mode: s.mode })
        : s.kind === 'unix-client'
        ? this.manager.connectUnix({ path: s.path!, ...again })
        : s.kind === 'tls-client'
          ? this.manager.connectTls({ ...inet, ...tlsConnectArgs(this.manager, this.tlsArgs.get(s.id) ?? {}, inet.port) })
          : this.manager.connectTcp(inet),
    );
    if (id && s.kind === 'tls-client') this.tlsArgs.set(id, this.tlsArgs.get(s.id) ?? {});
    if (id && s.encoding) this.manager.get(id)?.setEncoding(s.encoding);
    this.showPanel(id); // from the tree, the palette or the old panel's banner: the new connection is used next
    return id;
  }

  async close(arg?: unknown): Promise<string | undefined> {
    const s = await this.pickSession(argsOf(arg), (x) => x.isAlive, vscode.l10n.t('Close which session?'));
    s?.close();
    return s?.id;
  }

  async halfClose(arg?: unknown): Promise<string | undefined> {
    const s = await this.pickSession(argsOf(arg), (x) => x.kind !== 'udp' && (x.state === 'open' || x.state === 'half-closed-by-peer'), vscode.l10n.t('Half-close (send FIN) on which connection?'));
    s?.halfClose();
    return s?.id;
  }

  async setMode(arg?: unknown): Promise<ServerMode | undefined> {
    const args = argsOf(arg);
    const s = await this.pickSession(args, (x) => x.isAlive, vscode.l10n.t('Switch the behaviour of which session?'));
    if (!s) return undefined;
    try {
      const mode = this.mode(args) ?? (await this.askMode(s.behaviour));
      if (!mode) return undefined;
      if (mode === 'rules') {
        await vscode.commands.executeCommand('socketLab.session.answerByRules', { sessionId: s.id });
        return undefined;
      }
      s.setMode(mode);
      return mode;
    } catch (e) {
      void vscode.window.showErrorMessage(userMessage(e));
      return undefined;
    }
  }

  async copyAddress(arg?: unknown): Promise<string | undefined> {
    const s = await this.pickSession(argsOf(arg), () => true, vscode.l10n.t('Copy the address of which session?'));
    if (!s) return undefined;
    await vscode.env.clipboard.writeText(s.label);
    return s.label;
  }

  closeAll(): number {
    const n = this.manager.roots().filter((s) => s.isAlive).length;
    this.manager.closeAll();
    return n;
  }

  /** Forgets finished program runs (Run File, lessons) too; set by registerConnections. */
  clearFinishedRuns?: () => number;

  clearClosed(): number {
    return this.manager.clearClosed() + (this.clearFinishedRuns?.() ?? 0);
  }

  register(): void {
    const c = this.context;
    registerCommand(c, 'socketLab.tcp.startServer', (a) => this.startTcpServer(a));
    registerCommand(c, 'socketLab.tcp.connect', (a) => this.connectTcp(a));
    registerCommand(c, 'socketLab.tcp.captureConnect', (a) => this.connectTcp({ ...argsOf(a), capture: true }));
    registerCommand(c, 'socketLab.tls.startServer', (a) => this.startTcpServer(a, 'tls'));
    registerCommand(c, 'socketLab.tls.connect', (a) => this.connectTcp(a, 'tls'));
    registerCommand(c, 'socketLab.udp.open', (a) => this.openUdp(a));
    registerCommand(c, 'socketLab.unix.startServer', (a) => this.startUnixServer(a));
    registerCommand(c, 'socketLab.unix.connect', (a) => this.connectUnix(a));
    registerCommand(c, 'socketLab.session.send', (a) => this.send(a, 'text'));
    registerCommand(c, 'socketLab.session.sendHex', (a) => this.send(a, 'hex'));
    registerCommand(c, 'socketLab.session.sendFile', (a) => this.sendFile(a));
    registerCommand(c, 'socketLab.session.close', (a) => this.close(a));
    registerCommand(c, 'socketLab.session.reconnect', (a) => this.reconnect(a));
    registerCommand(c, 'socketLab.session.halfClose', (a) => this.halfClose(a));
    registerCommand(c, 'socketLab.session.setMode', (a) => this.setMode(a));
    registerCommand(c, 'socketLab.session.copyAddress', (a) => this.copyAddress(a));
    registerCommand(c, 'socketLab.session.closeAll', () => this.closeAll());
    registerCommand(c, 'socketLab.session.clearClosed', () => this.clearClosed());
    // for tests and other features: a snapshot of every session (id, kind, label, state, counters, error)
    registerCommand(c, 'socketLab.session.list', () =>
      this.manager.all().map((s) => ({ id: s.id, kind: s.kind, label: s.label, state: s.state, mode: s.mode, parentId: s.parentId, stats: s.stats, error: s.error && { code: s.error.code, message: s.error.message } })),
    );
  }
}

function catchCodec(f: () => unknown): CodecError | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof CodecError) return e;
    throw e;
  }
}
