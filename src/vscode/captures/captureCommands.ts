// Capture commands, the Captures view and the CaptureManager's place in the extension.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CaptureFileFormat } from '../../core/capture/captureExport';
import type { Capture } from '../../core/capture/captureManager';
import { CaptureManager, CaptureStartError } from '../../core/capture/captureManager';
import { ConnectionCaptureError, planConnectionCapture, suggestCaptureFilter } from '../../core/capture/connectionCapture';
import { defaultNodePath, electronFallbackLaunch, helperLaunch } from '../../core/capture/helperLocation';
import type { CaptureEngineChoice, CaptureInterface } from '../../shared/captureProtocol';
import { CaptureLimits, isEngineChoice } from '../../shared/captureProtocol';
import { markDone, registerCommand } from '../commands';
import { sessionPickItem } from '../connections/connectionsTreeProvider';
import type { SessionManager } from '../../core/sessions/sessionManager';
import { readSocketTableShared } from '../../core/ossockets/socketTable';
import { requireTrust } from '../trust';
import type { PacketPanelManager } from '../panels/packetPanel';
import { CapturesProvider, stateLabel } from './capturesView';


function config() {
  const c = vscode.workspace.getConfiguration('socketLab.capture');
  const engine = c.get<string>('engine', 'auto');
  const mib = c.get<number>('bufferSizeMiB', CaptureLimits.defaultBufferSize / (1024 * 1024));
  return {
    nodePath: c.get<string>('nodePath', ''),
    engine: (isEngineChoice(engine) ? engine : 'auto') as CaptureEngineChoice,
    bufferSize: Math.min(CaptureLimits.maxBufferSize, Math.max(CaptureLimits.minBufferSize, Math.round(mib * 1024 * 1024))),
    maxPackets: Math.max(1000, Math.floor(c.get<number>('maxPackets', 200_000))),
  };
}

/** One sentence in the user's language for a coded capture error (the engine's own words follow in English). */
export function captureErrorMessage(e: unknown): string {
  const code = e instanceof CaptureStartError || e instanceof ConnectionCaptureError ? e.code : undefined;
  const detail = e instanceof Error ? e.message : String(e);
  switch (code) {
    case 'EPERM':
      // The engine's own words (in the log) would repeat the fix; the sentence alone says what to do.
      return vscode.l10n.t('No permission to capture packets. {0}', permissionFixText());
    case 'ENOENGINE':
      return vscode.l10n.t('No capture engine can run here: install libpcap and the npm package cap, or Wireshark\'s dumpcap, or tcpdump. {0}', detail);
    case 'EBADIF':
      return vscode.l10n.t('That interface cannot be captured: {0}', detail);
    case 'EBADFILTER':
      return vscode.l10n.t('The capture filter is not valid: {0}', detail);
    case 'EBADARG':
      return vscode.l10n.t('A capture setting is out of range: {0}', detail);
    case 'EHELPER':
      return vscode.l10n.t('The capture helper failed; check the setting socketLab.capture.nodePath and try again. {0}', detail);
    case 'EUNIX':
      return vscode.l10n.t('Unix domain sockets never reach a network interface, so there is nothing to capture; watch the session transcript instead.');
    case 'ENOPORT':
      return vscode.l10n.t('This session has no local port yet; capture it once it is listening or connected.');
    case 'ENOLOOPBACK':
      return vscode.l10n.t('No loopback interface can be captured here; on Windows install Npcap with "Support loopback traffic".');
    default:
      return vscode.l10n.t('Capture failed: {0}', detail);
  }
}

function permissionFixText(): string {
  switch (process.platform) {
    case 'linux':
      return vscode.l10n.t('Run as root, or allow dumpcap to capture: sudo setcap cap_net_raw,cap_net_admin=eip $(which dumpcap).');
    case 'darwin':
      return vscode.l10n.t('Install Wireshark\'s ChmodBPF so your user can read /dev/bpf*, then try again.');
    case 'win32':
      return vscode.l10n.t('Install Npcap (npcap.com) with "Support loopback traffic" ticked, then try again.');
    default:
      return vscode.l10n.t('Run the capture with administrator rights.');
  }
}

function argObject(arg: unknown): Record<string, unknown> {
  return typeof arg === 'object' && arg !== null ? (arg as Record<string, unknown>) : {};
}

async function pickInterface(manager: CaptureManager): Promise<string | undefined> {
  const list: CaptureInterface[] = await manager.listInterfaces();
  const sorted = [...list].sort((a, b) => Number(b.loopback) - Number(a.loopback));
  const pick = await vscode.window.showQuickPick(
    sorted.map((i) => ({ label: i.name, description: [i.loopback ? vscode.l10n.t('loopback') : '', i.description ?? '', i.addresses.join(', ')].filter(Boolean).join(' · '), name: i.name })),
    // A packet panel's webview may take focus back; the two-step start must not vanish with it.
    { title: vscode.l10n.t('Capture on which interface?'), placeHolder: vscode.l10n.t('lo carries traffic between programs on this machine'), ignoreFocusOut: true },
  );
  return pick?.name;
}

async function pickCapture(manager: CaptureManager, title: string, only?: (c: Capture) => boolean): Promise<string | undefined> {
  const list = manager.all().filter(only ?? (() => true));
  if (list.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('There is no capture to choose.'));
    return undefined;
  }
  if (list.length === 1) return list[0].id;
  const pick = await vscode.window.showQuickPick(
    list.reverse().map((c) => ({ label: `${c.interface}${c.filter ? ` · ${c.filter}` : ''}`, description: vscode.l10n.t('{0} packets', c.packets.endIndex), id: c.id })),
    { title },
  );
  return pick?.id;
}

/** Start Capture's suggested filter: the ports of live sessions, else all but VS Code's own server's ports. */
async function suggestedFilter(sessions: SessionManager): Promise<string> {
  const ports: { protocol: 'tcp' | 'udp'; port: number }[] = [];
  for (const s of sessions.all() ?? []) {
    if (s.kind.startsWith('unix') || s.kind.endsWith('accepted') || s.isAlive === false) continue;
    const protocol = s.kind === 'udp' ? 'udp' : 'tcp';
    // a server by its own port, a client by its server's, a UDP socket by both where known
    if (!s.kind.endsWith('-client') && s.localPort) ports.push({ protocol, port: s.localPort });
    if (!s.kind.endsWith('-server') && s.remotePort) ports.push({ protocol, port: s.remotePort });
  }
  let exclude: number[] = [];
  if (!ports.length) {
    try {
      // the extension host's parent serves the editor itself when VS Code runs as a server (code-server, Remote)
      exclude = (await readSocketTableShared({ unix: false })).sockets.filter((x) => x.pid === process.ppid && x.state === 'LISTEN').map((x) => x.localPort);
    } catch {
      // no socket table: suggest nothing rather than guess
    }
  }
  return suggestCaptureFilter(ports, exclude);
}

/** The one CaptureManager of the window (the helper is spawned on the first capture, not here). */
export function createCaptureManager(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): CaptureManager {
  const distDir = path.join(context.extensionPath, 'dist');
  const manager = new CaptureManager({
    launch: () => helperLaunch(defaultNodePath(config().nodePath), distDir),
    fallbackLaunch: () => (config().nodePath ? undefined : electronFallbackLaunch(helperLaunch('node', distDir))),
    defaultEngine: () => config().engine,
    maxPacketsPerCapture: config().maxPackets,
    log: (l) => log.info(l),
  });
  context.subscriptions.push(manager);
  return manager;
}

/** The capture commands and the Captures view; new captures show in `panels`. */
export function registerCaptures(context: vscode.ExtensionContext, manager: CaptureManager, panels: PacketPanelManager, sessions: SessionManager, log: vscode.LogOutputChannel): void {
  // A capture that stops by itself (helper or engine died) says so once; the view keeps the reason.
  const told = new Set<string>();
  const watch = manager.onDidChange((c) => {
    if (!c || c.state !== 'stopped' || !c.error || told.has(c.id)) return;
    told.add(c.id);
    log.warn(`capture ${c.id} ${c.stateText}: ${c.error.message}`);
    void vscode.window.showWarningMessage(vscode.l10n.t('Capture on {0} {1}. Start it again to continue.', c.interface, stateLabel(c)));
  });
  context.subscriptions.push({ dispose: () => watch.dispose() });
  const provider = new CapturesProvider(manager);
  context.subscriptions.push(provider, vscode.window.createTreeView('socketLab.captures', { treeDataProvider: provider }));

  const commands = new CaptureCommands(manager, panels, sessions, log);
  registerCommand(context, 'socketLab.capture.start', (arg?: unknown) => commands.start(argObject(arg)));
  registerCommand(context, 'socketLab.capture.stop', (arg?: unknown) => commands.stop(argObject(arg)));
  registerCommand(context, 'socketLab.capture.remove', (arg?: unknown) => commands.remove(argObject(arg)));
  registerCommand(context, 'socketLab.capture.save', (arg?: unknown) => commands.save(argObject(arg)));
  registerCommand(context, 'socketLab.session.capture', (arg?: unknown) => commands.captureSession(argObject(arg)));
}

type Args = ReturnType<typeof argObject>;

/** What each capture command does, given its argument object. */
class CaptureCommands {
  constructor(
    private readonly manager: CaptureManager,
    private readonly panels: PacketPanelManager,
    private readonly sessions: SessionManager,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  private async startCapture(opts: Parameters<CaptureManager['start']>[0], open: boolean): Promise<{ captureId: string } | undefined> {
    try {
      const c = await this.manager.start({ ...opts, bufferSize: opts.bufferSize ?? config().bufferSize });
      this.log.info(`capture ${c.id} started on ${c.interface} with ${c.engine}${c.filter ? ` (${c.filter})` : ''}`);
      markDone('capture');
      if (open) this.panels.showCapture(c);
      return { captureId: c.id };
    } catch (e) {
      this.log.warn(`capture failed: ${e instanceof Error ? e.message : String(e)}`);
      void vscode.window.showErrorMessage(captureErrorMessage(e));
      return undefined;
    }
  }

  /** `socketLab.capture.start {interface?, filter?, engine?, openPanel?}` or `{host, port, protocol}` (Capture then Connect). */
  async start(a: Args): Promise<{ captureId: string } | undefined> {
    if (!requireTrust(vscode.l10n.t('Packet capture'))) return undefined;
    if (typeof a.interface !== 'string' && typeof a.port === 'number') return this.startForAddress(a, a.port);
    let iface = typeof a.interface === 'string' ? a.interface : undefined;
    let filter = typeof a.filter === 'string' ? a.filter : undefined;
    try {
      iface ??= await pickInterface(this.manager);
    } catch (e) {
      void vscode.window.showErrorMessage(captureErrorMessage(e));
      return undefined;
    }
    if (!iface) return undefined;
    if (filter === undefined && typeof a.interface !== 'string') {
      filter = await this.askFilter();
      if (filter === undefined) return undefined;
    }
    const engine = isEngineChoice(a.engine) ? a.engine : undefined;
    return this.startCapture({ interface: iface, filter: filter ?? '', engine }, a.openPanel !== false);
  }

  /** The interface and filter for one address (the capture runs before the connection opens). */
  private async startForAddress(a: Args, port: number): Promise<{ captureId: string } | undefined> {
    try {
      const protocol = a.protocol === 'udp' ? 'udp' : 'tcp';
      const host = typeof a.host === 'string' ? a.host : '127.0.0.1';
      const plan = planConnectionCapture({ id: '', kind: protocol === 'udp' ? 'udp' : 'tcp-client', label: `${host}:${port}`, localPort: port, remoteAddress: host }, await this.manager.listInterfaces());
      return await this.startCapture({ interface: plan.interface, filter: plan.filter, label: plan.label }, a.openPanel !== false);
    } catch (e) {
      void vscode.window.showErrorMessage(captureErrorMessage(e));
      return undefined;
    }
  }

  /** Asks for a capture filter, suggesting one from the sessions' ports; undefined when cancelled. */
  private async askFilter(): Promise<string | undefined> {
    const suggested = await suggestedFilter(this.sessions);
    return vscode.window.showInputBox({
      title: vscode.l10n.t('Capture filter (pcap-filter syntax)'),
      prompt: suggested
        ? vscode.l10n.t('Suggested from your sessions, so the editor\'s own traffic stays out; edit it, or clear it to capture everything.')
        : vscode.l10n.t('Only packets matching this are captured; leave empty for everything.'),
      placeHolder: 'tcp port 8000',
      value: suggested,
      ignoreFocusOut: true,
      validateInput: (v) => (v.length > CaptureLimits.maxFilterLength ? vscode.l10n.t('At most {0} characters.', CaptureLimits.maxFilterLength) : undefined),
    });
  }

  async stop(a: Args): Promise<void> {
    if (!requireTrust(vscode.l10n.t('Packet capture'))) return;
    const id = typeof a.captureId === 'string' ? a.captureId : await pickCapture(this.manager, vscode.l10n.t('Stop which capture?'), (c) => c.state === 'running' || c.state === 'starting');
    if (id) await this.manager.stop(id);
  }

  async remove(a: Args): Promise<void> {
    const id = typeof a.captureId === 'string' ? a.captureId : await pickCapture(this.manager, vscode.l10n.t('Remove which capture?'));
    if (id) await this.manager.remove(id);
  }

  /** `socketLab.capture.save {captureId?, path?, format?}`: pcapng or pcap, by the format or the file's extension. */
  async save(a: Args): Promise<{ path: string; packets: number } | undefined> {
    if (!requireTrust(vscode.l10n.t('Packet capture'))) return undefined;
    const id = typeof a.captureId === 'string' ? a.captureId : await pickCapture(this.manager, vscode.l10n.t('Save which capture?'));
    if (!id) return undefined;
    const c = this.manager.get(id);
    if (!c) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Capture {0} does not exist (it may have been cleared).', id));
      return undefined;
    }
    const target = typeof a.path === 'string' ? a.path : await askSavePath(c);
    if (!target) return undefined;
    const format: CaptureFileFormat = a.format === 'pcap' || a.format === 'pcapng' ? a.format : /\.pcap$/i.test(target) ? 'pcap' : 'pcapng';
    try {
      const n = await this.manager.save(id, target, format);
      void vscode.window.showInformationMessage(vscode.l10n.t('Saved {0} packets to {1}.', n, target));
      return { path: target, packets: n };
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not save the capture: {0}', e instanceof Error ? e.message : String(e)));
      return undefined;
    }
  }

  /** `socketLab.session.capture {sessionId?}`: one session's connection (from the tree the argument is the Session). */
  async captureSession(a: Args): Promise<{ captureId: string } | undefined> {
    if (!requireTrust(vscode.l10n.t('Packet capture'))) return undefined;
    let sessionId = typeof a.sessionId === 'string' ? a.sessionId : typeof a.id === 'string' && typeof a.kind === 'string' ? a.id : undefined;
    if (!sessionId) {
      const candidates = this.sessions.all().filter((s) => !s.kind.startsWith('unix'));
      const live = [...candidates.filter((s) => s.isAlive), ...candidates.filter((s) => !s.isAlive)];
      const pick = await vscode.window.showQuickPick(live.map((s) => ({ ...sessionPickItem(s), id: s.id })), { title: vscode.l10n.t('Capture which connection?'), ignoreFocusOut: true });
      sessionId = pick?.id;
    }
    if (!sessionId) return undefined;
    const session = this.sessions.get(sessionId);
    if (!session) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Session {0} no longer exists.', sessionId));
      return undefined;
    }
    try {
      const plan = planConnectionCapture(session, await this.manager.listInterfaces());
      return await this.startCapture({ interface: plan.interface, filter: plan.filter, label: plan.label, sessionId: session.id, connection: plan.connection }, a.openPanel !== false);
    } catch (e) {
      void vscode.window.showErrorMessage(captureErrorMessage(e));
      return undefined;
    }
  }
}

/** Where to save a capture: the save dialog, starting in the workspace with a name from the interface and time. */
async function askSavePath(c: Capture): Promise<string | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = `capture-${c.interface}-${new Date(c.startedAt).toISOString().replace(/[:.]/g, '-')}.pcapng`;
  const uri = await vscode.window.showSaveDialog({
    title: vscode.l10n.t('Save capture'),
    defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
    filters: { pcapng: ['pcapng'], pcap: ['pcap'] },
  });
  return uri?.fsPath;
}
