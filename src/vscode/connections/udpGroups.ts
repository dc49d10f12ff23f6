// UDP broadcast and multicast from VS Code: Open UDP Socket's arguments { broadcast, join, multicastTtl,
// multicastLoopback, multicastInterface }, and on an open socket Join Multicast Group…, Leave Multicast Group…,
// Turn Broadcast On/Off ({ sessionId?, group?, source?, interface?, on? }).
import * as net from 'node:net';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { errorLanguageFor, errorSentence, formatAddress } from '../../core/errors';
import type { Session } from '../../core/sessions/session';
import { isMulticast, type MulticastJoin, UdpSession, type UdpSessionOptions } from '../../core/sessions/udpSession';
import { registerCommand } from '../commands';

type Args = Record<string, unknown>;
const message = (e: unknown) => errorSentence(e, errorLanguageFor(vscode.env.language)).message;

/** A join given as "239.1.2.3", { group, source?, interface? }, or a list of them. */
function joinsOf(v: unknown): MulticastJoin[] | undefined {
  const one = (x: unknown): MulticastJoin | undefined => {
    if (typeof x === 'string') return { group: x };
    const o = x as Partial<MulticastJoin> | undefined;
    return typeof o?.group === 'string' ? { group: o.group, source: typeof o.source === 'string' ? o.source : undefined, interface: typeof o.interface === 'string' ? o.interface : undefined } : undefined;
  };
  if (v === undefined) return undefined;
  const list = (Array.isArray(v) ? v : [v]).map(one);
  return list.every((j): j is MulticastJoin => !!j) ? list : undefined;
}

/** Open UDP Socket's broadcast and multicast arguments, as UdpSession options (unknown values left out). */
export function udpSocketOptions(args: Args): Partial<UdpSessionOptions> {
  const join = joinsOf(args.join);
  return {
    broadcast: args.broadcast === true || undefined,
    join,
    reuseAddr: join ? true : undefined,
    multicastTtl: Number.isInteger(args.multicastTtl) ? (args.multicastTtl as number) : undefined,
    multicastLoopback: typeof args.multicastLoopback === 'boolean' ? args.multicastLoopback : undefined,
    multicastInterface: typeof args.multicastInterface === 'string' ? args.multicastInterface : undefined,
  };
}

/**
 * Asks which interface to join on: this machine's own first (so a group tried out stays on this computer), then each
 * network interface with an address of the group's family, then the routing table's choice. Undefined: cancelled.
 */
async function askInterface(group: string): Promise<{ iface?: string } | undefined> {
  const v6 = net.isIPv6(group.split('%')[0]);
  type Item = vscode.QuickPickItem & { iface?: string };
  const items: Item[] = [];
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    const a = addrs?.find((x) => x.family === (v6 ? 'IPv6' : 'IPv4'));
    if (!a) continue;
    const item = { label: name, description: a.internal ? vscode.l10n.t('{0} · this computer only', a.address) : a.address, iface: v6 ? `::%${name}` : a.address };
    if (a.internal) items.unshift(item);
    else items.push(item);
  }
  items.push({ label: vscode.l10n.t('Let the routing table choose'), description: vscode.l10n.t('the interface of the route to {0}', group) });
  const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Join {0} on which interface?', group), ignoreFocusOut: true });
  return pick && { iface: pick.iface };
}

/**
 * A socket bound to one unicast address (127.0.0.1, the usual bind) gets only datagrams sent to that address: the
 * kernel accepts the join, yet the group's datagrams never reach it. Says so, and where to bind instead.
 */
function warnIfBoundElsewhere(s: UdpSession, group: string): void {
  const bound = s.localAddress;
  const g = group.split('%')[0];
  if (!bound || bound === '0.0.0.0' || bound === '::' || bound === g) return;
  const any = net.isIPv6(g) ? '::' : '0.0.0.0';
  void vscode.window.showWarningMessage(
    vscode.l10n.t("{0} joined {1}, but it is bound to {2}, so the kernel gives it only datagrams sent to {2}: the group's never arrive. To receive them, open a UDP socket bound to {3} or {4} and join there.", s.label, group, bound, formatAddress(g, s.localPort), formatAddress(any, s.localPort)),
  );
}

export function registerUdpGroupCommands(context: vscode.ExtensionContext, pick: (args: Args, ok: (s: Session) => boolean, title: string) => Promise<Session | undefined>): void {
  const udp = async (a: unknown, title: string, ok: (s: UdpSession) => boolean = () => true): Promise<UdpSession | undefined> => {
    const args = a instanceof UdpSession ? { sessionId: a.id } : ((a ?? {}) as Args);
    const s = await pick(args, (x) => x instanceof UdpSession && x.isAlive && ok(x), title);
    if (s && !(s instanceof UdpSession)) {
      void vscode.window.showErrorMessage(vscode.l10n.t('{0} is not a UDP socket.', s.label));
      return undefined;
    }
    return s;
  };
  const args = (a: unknown): Args => (a instanceof UdpSession ? {} : ((a ?? {}) as Args));

  registerCommand(context, 'socketLab.udp.joinGroup', async (a?: unknown) => {
    const s = await udp(a, vscode.l10n.t('Join a multicast group with which socket?'), (x) => x.isBound);
    if (!s) return undefined;
    const given = args(a);
    const group = typeof given.group === 'string' ? given.group : await vscode.window.showInputBox({
      title: vscode.l10n.t('Join Multicast Group'),
      prompt: vscode.l10n.t('A group: 224.0.0.0 to 239.255.255.255, or ff00::/8 (IPv6)'),
      placeHolder: '239.1.2.3',
      validateInput: (v) => (isMulticast(v.trim()) ? undefined : vscode.l10n.t('{0} is not a multicast group (224.0.0.0/4 or ff00::/8).', v.trim() || '…')),
    });
    if (!group) return undefined;
    // a group given as an argument joins where `interface` says (else the routing table picks); a typed one asks
    const on = typeof given.group === 'string' || typeof given.interface === 'string' ? { iface: typeof given.interface === 'string' ? given.interface : undefined } : await askInterface(group.trim());
    if (!on) return undefined;
    try {
      s.joinGroup({ group: group.trim(), source: typeof given.source === 'string' && net.isIP(given.source) ? given.source : undefined, interface: on.iface });
      warnIfBoundElsewhere(s, group.trim());
      return s.groups;
    } catch (e) {
      void vscode.window.showErrorMessage(message(e));
      return undefined;
    }
  });
  registerCommand(context, 'socketLab.udp.leaveGroup', async (a?: unknown) => {
    const s = await udp(a, vscode.l10n.t('Leave a group of which socket?'), (x) => x.groups.length > 0);
    if (!s) return undefined;
    const given = args(a);
    const key = typeof given.group === 'string' ? given.group : s.groups.length === 1 ? s.groups[0] : await vscode.window.showQuickPick(s.groups, { title: vscode.l10n.t('Leave Multicast Group') });
    if (!key) return undefined;
    if (!s.groups.includes(key)) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} has not joined {1}.', s.label, key));
      return undefined;
    }
    s.leaveGroup(key);
    return s.groups;
  });
  registerCommand(context, 'socketLab.udp.toggleBroadcast', async (a?: unknown) => {
    const s = await udp(a, vscode.l10n.t('Broadcast for which socket?'));
    if (!s) return undefined;
    const on = typeof args(a).on === 'boolean' ? (args(a).on as boolean) : !s.broadcast;
    try {
      s.setBroadcast(on);
      void vscode.window.setStatusBarMessage(on ? vscode.l10n.t('Broadcast on for {0} (SO_BROADCAST).', s.label) : vscode.l10n.t('Broadcast off for {0}.', s.label), 4000);
      return on;
    } catch (e) {
      void vscode.window.showErrorMessage(message(e));
      return undefined;
    }
  });
}
