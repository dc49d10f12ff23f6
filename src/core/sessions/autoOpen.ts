// When a session's panel opens by itself on its first data: never for a busy server's every connection, never for
// the other end of a conversation the user already watches (socketLab.panel.autoOpen).
import type { Session } from './session';

export type AutoOpenSetting = 'on' | 'background' | 'off';

/** The other end of a TCP (TLS, WebSocket) connection when Socket Lab holds both (a client and a connection its server accepted). */
export function otherEnd(s: Session, all: Iterable<Session>): Session | undefined {
  const pairs: Partial<Record<Session['kind'], Session['kind']>> = { 'tcp-client': 'tcp-accepted', 'tcp-accepted': 'tcp-client', 'tls-client': 'tls-accepted', 'tls-accepted': 'tls-client', 'ws-client': 'ws-accepted', 'ws-accepted': 'ws-client' };
  const pair = pairs[s.kind];
  if (!pair || s.localPort === undefined || s.remotePort === undefined) return undefined;
  const host = (a?: string) => a?.replace(/^::ffff:/, '');
  for (const o of all) {
    if (o.kind !== pair || o === s) continue;
    if (o.localPort === s.remotePort && o.remotePort === s.localPort && host(o.localAddress) === host(s.remoteAddress) && host(o.remoteAddress) === host(s.localAddress)) return o;
  }
  return undefined;
}

export interface AutoOpenFacts {
  setting: AutoOpenSetting;
  /** Sessions whose panel is open now. */
  openPanels: ReadonlySet<string>;
  /** Servers one of whose connections already had a panel opened automatically (once per server). */
  serversOpened: ReadonlySet<string>;
  /** Panels opened automatically and still open, against the cap. */
  autoOpenedNow: number;
  cap: number;
  get(id: string): Session | undefined;
  all(): Iterable<Session>;
}

/** Whether `s`, which just received its first data, should get a panel by itself. */
export function shouldAutoOpen(s: Session, f: AutoOpenFacts): boolean {
  if (f.setting === 'off' || f.openPanels.has(s.id) || f.autoOpenedNow >= f.cap) return false;
  // a server's transcript gathers its connections': the connection that spoke gets the panel, not the server too
  if (s.kind.endsWith('-server')) return false;
  const server = s.parentId !== undefined ? f.get(s.parentId) : undefined;
  // a sink only swallows; its connections are not worth a tab each
  if (s.mode === 'sink' || server?.mode === 'sink') return false;
  if (server && f.serversOpened.has(server.id)) return false;
  const peer = otherEnd(s, f.all());
  return !(peer && f.openPanels.has(peer.id));
}
