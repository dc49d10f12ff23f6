// The WebSocket options of `listen ws|wss` and `send ws|wss`: the URL, subprotocols, request headers, and wss trust.
import type { Session } from '../sessions/session';
import { checkWsUrl } from '../sessions/sessionManager';
import { WsConnectionSession } from '../sessions/wsSession';
import { WS_OPCODE_NAMES } from '../sessions/wsFrames';
import { UsageError } from './cliIo';
import type { CliTls } from './cliTls';

export const wsOptionSpecs = {
  protocol: { type: 'string', multiple: true },
  header: { type: 'string', multiple: true },
} as const;

export const listenWsUsage = `  --protocol P1,P2     ws/wss: the subprotocols the server speaks (it picks the first a client offers)
  --cert F --key F     wss: as for tls (without them, the self-signed certificate tls uses)
`;
export const sendWsUsage = `  URL                  ws/wss: ws://host:port/path or wss://host:port/path (host:port/path takes the verb's scheme);
                       --text sends a text message, --hex a binary one, --file one binary message in 64 KiB frames;
                       without --expect-bytes, send waits for one message back (or --timeout), then closes (1000)
  --protocol P         ws/wss: a subprotocol to offer (repeat or P1,P2 for several)
  --header 'K: V'      ws/wss: an extra header for the upgrade request (repeatable)
  --ca F, --insecure   wss: as for tls
`;

export const isWs = (proto: string): boolean => proto === 'ws' || proto === 'wss';

/** The TLS options a ws/wss verb takes: none for ws, the certificate (listen) or trust (send) for wss. */
export function checkWsTls(verb: 'listen' | 'send', proto: string, given: string[]): void {
  const allowed = proto === 'ws' ? [] : verb === 'listen' ? ['cert', 'key'] : ['ca', 'insecure'];
  const wrong = given.find((k) => !allowed.includes(k));
  if (wrong) throw new UsageError(`--${wrong} does not apply to ${verb} ${proto}`);
}

type WsValues = { protocol?: string[]; header?: string[] };

export interface CliWs {
  protocols: string[];
  headers: Record<string, string>;
}

/** --protocol and --header, checked; undefined for the other protocols (which take neither). */
export function parseWsArgs(verb: 'listen' | 'send', proto: string, v: WsValues): CliWs | undefined {
  if (!isWs(proto)) {
    const given = v.protocol ? 'protocol' : v.header ? 'header' : undefined;
    if (given) throw new UsageError(`--${given} applies to ws and wss only`);
    return undefined;
  }
  if (verb === 'listen' && v.header) throw new UsageError('--header applies to send ws|wss (the client\'s upgrade request)');
  const protocols = (v.protocol ?? []).flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean);
  const bad = protocols.find((p) => !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(p));
  if (bad !== undefined) throw new UsageError(`"${bad}" is not a subprotocol name (letters, digits and !#$%&'*+-.^_\`|~ only)`);
  const headers: Record<string, string> = {};
  for (const h of v.header ?? []) {
    const i = h.indexOf(':');
    const name = i > 0 ? h.slice(0, i).trim() : '';
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new UsageError(`--header wants 'Name: value', got "${h}"`);
    headers[name] = h.slice(i + 1).trim();
  }
  return { protocols, headers };
}

/** `send ws|wss URL`: the URL as given, or host:port/path with the verb's scheme; its scheme must be the verb's. */
export function parseWsUrl(proto: string, text: string | undefined): string {
  if (!text) throw new UsageError(`missing URL (${proto}://host:port/path)`);
  const full = /^[a-z]+:\/\//i.test(text) ? text : `${proto}://${text}`;
  let url: URL;
  try {
    url = checkWsUrl(full);
  } catch {
    throw new UsageError(`"${text}" is not a WebSocket URL — write it as ${proto}://host:port/path`);
  }
  if (url.protocol !== `${proto}:`) throw new UsageError(`"${text}" is a ${url.protocol.slice(0, -1)} URL — use send ${url.protocol.slice(0, -1)}, or a ${proto}:// URL`);
  return url.href;
}

/** The wss options as the manager takes them. */
export const wssTrust = (t: CliTls | undefined) => ({ ca: t?.ca, insecure: t?.insecure });

/** How a WebSocket connection closed, for the CLI: "closed by the peer: 1000 bye" (who began it, its code and reason). */
export function wsCloseText(s: Session): string | undefined {
  if (!(s instanceof WsConnectionSession)) return undefined;
  const c = s.wsEvents.find((e) => e.type === 'close'); // the first: who began the closing handshake
  if (!c) return undefined;
  return `${c.dir === 'in' ? 'closed by the peer' : 'closed by us'}: ${c.code ?? 'no code'}${c.reason ? ` ${c.reason}` : ''}`;
}

/** A message's frames in a line: "text, FIN, masked, 5 bytes" (several frames joined by " + "). */
export function wsFramesText(s: Session, seq: number): string | undefined {
  if (!(s instanceof WsConnectionSession)) return undefined;
  const f = s.frameFacts(seq);
  if (!f) return undefined;
  const one = f.frames.map((x) => `${WS_OPCODE_NAMES[x.opcode] ?? `opcode ${x.opcode}`}${x.fin ? ', FIN' : ''}${x.masked ? ', masked' : ''}, ${x.length} bytes`);
  return one.join(' + ') + (f.moreFrames ? ` + ${f.moreFrames} more frames` : '');
}
