// WebSocket in VS Code: socketLab.ws.startServer {host?, port?, mode?, tls?, cert?, key?, subprotocols?, confirmed?}
// and socketLab.ws.connect {url?, protocols?, headers?, insecure?, ca?, mode?, openPanel?}, asked for when missing.
// A wss client trusts the system's CAs, `ca` or socketLab.tls.caFile, and Socket Lab's own wss server on that port.
import * as tls from 'node:tls';
import * as vscode from 'vscode';
import { checkPort, checkWsUrl, parseHostPort, type SessionManager } from '../../core/sessions/sessionManager';
import { WsServerSession } from '../../core/sessions/wsSession';
import { registerCommand } from '../commands';
import { userMessage, type SessionCommands } from './sessionCommands';
import { readPem, strings, tlsServerArgs } from './tlsCommands';

type Args = Record<string, unknown>;

const argsOf = (a: unknown): Args => (a && typeof a === 'object' ? (a as Args) : {});

function headersOf(v: unknown): Record<string, string> | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => typeof x === 'string')) as Record<string, string>;
}

/** What a wss client trusts besides the system's CAs (undefined: the system's only). */
function wssTrust(manager: SessionManager, args: Args, port: number): string[] | undefined {
  const extra: string[] = [];
  const caFile = typeof args.ca === 'string' ? args.ca : vscode.workspace.getConfiguration('socketLab').get<string>('tls.caFile', '');
  if (caFile) extra.push(readPem(caFile));
  for (const s of manager.all()) if (s instanceof WsServerSession && s.secure && s.isAlive && s.localPort === port && s.certPath) extra.push(readPem(s.certPath));
  return extra.length ? [...tls.rootCertificates, ...extra] : undefined;
}

async function startServer(manager: SessionManager, commands: SessionCommands, arg: unknown): Promise<string | undefined> {
  const args = argsOf(arg);
  try {
    let host = typeof args.host === 'string' ? args.host : undefined;
    let port: number;
    if (args.port === undefined) {
      const t = await vscode.window.showInputBox({
        title: vscode.l10n.t('Start WebSocket Server: port or host:port'),
        placeHolder: vscode.l10n.t('8000 (binds 127.0.0.1), 0 picks a free port, or 0.0.0.0:8000'),
        value: '0',
        ignoreFocusOut: true,
        validateInput: (v) => {
          try {
            parseHostPort(v, true);
            return undefined;
          } catch (e) {
            return userMessage(e);
          }
        },
      });
      if (t === undefined) return undefined;
      const hp = parseHostPort(t, true);
      host = hp.host ?? host;
      port = hp.port;
    } else port = checkPort(args.port);
    let mode = commands.mode(args);
    if (mode === undefined && args.port === undefined) mode = await commands.askStartMode();
    if (mode === undefined && args.port === undefined) return undefined;
    host = host?.trim() || '127.0.0.1';
    if (!(await commands.confirmBind(host, args))) return undefined;
    const secure = args.tls === true || typeof args.cert === 'string';
    const { cert, key } = secure ? tlsServerArgs(args) : { cert: undefined, key: undefined };
    return await commands.open(() => manager.startWsServer({ host, port, mode: mode ?? 'manual', tls: secure, cert, key, subprotocols: strings(args.subprotocols) }), port);
  } catch (e) {
    void vscode.window.showErrorMessage(userMessage(e));
    return undefined;
  }
}

/** Where a client may connect: Socket Lab's own listening WebSocket servers. */
function ownServers(manager: SessionManager): string[] {
  return manager.all().filter((s): s is WsServerSession => s instanceof WsServerSession && s.state === 'listening').map((s) => `${s.label.replace('//0.0.0.0', '//127.0.0.1').replace('//[::]', '//[::1]')}/`);
}

async function connect(manager: SessionManager, commands: SessionCommands, arg: unknown): Promise<string | undefined> {
  const args = argsOf(arg);
  try {
    let url = typeof args.url === 'string' ? args.url : undefined;
    if (url === undefined) {
      url = await vscode.window.showInputBox({
        title: vscode.l10n.t('Connect WebSocket Client: URL'),
        placeHolder: 'ws://127.0.0.1:8000/',
        value: ownServers(manager)[0] ?? 'ws://127.0.0.1:8000/',
        ignoreFocusOut: true,
        validateInput: (v) => {
          try {
            checkWsUrl(v);
            return undefined;
          } catch (e) {
            return userMessage(e);
          }
        },
      });
      if (url === undefined) return undefined;
    }
    const u = checkWsUrl(url);
    const port = Number(u.port) || (u.protocol === 'wss:' ? 443 : 80);
    const ca = u.protocol === 'wss:' ? wssTrust(manager, args, port) : undefined;
    const id = await commands.open(() => manager.connectWs({ url: u.href, protocols: strings(args.protocols), headers: headersOf(args.headers), insecure: args.insecure === true, ca, mode: commands.mode(args) }));
    if (args.url === undefined || args.openPanel === true) commands.showPanel(id);
    return id;
  } catch (e) {
    void vscode.window.showErrorMessage(userMessage(e));
    return undefined;
  }
}

export function registerWs(context: vscode.ExtensionContext, manager: SessionManager, commands: SessionCommands): void {
  registerCommand(context, 'socketLab.ws.startServer', (a) => startServer(manager, commands, a));
  registerCommand(context, 'socketLab.ws.connect', (a) => connect(manager, commands, a));
}
