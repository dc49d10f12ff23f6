// The OS socket table as Socket Lab sees it, independent of where it was read from (/proc, lsof, netstat).

export type TcpState =
  | 'ESTABLISHED'
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'FIN_WAIT1'
  | 'FIN_WAIT2'
  | 'TIME_WAIT'
  | 'CLOSE'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'LISTEN'
  | 'CLOSING'
  | 'NEW_SYN_RECV';

/** UDP has no connection states; the kernel reports a bound socket as CLOSE, which we show as UNCONN like `ss`. */
export type UdpState = 'UNCONN' | 'ESTABLISHED';

/** Unix stream sockets: LISTEN (accepting), CONNECTED, UNCONNECTED, CONNECTING, DISCONNECTING. */
export type UnixState = 'LISTEN' | 'CONNECTED' | 'UNCONNECTED' | 'CONNECTING' | 'DISCONNECTING';

export type SocketState = TcpState | UdpState | UnixState | 'UNKNOWN';

export type SocketProtocol = 'tcp' | 'udp' | 'unix';

export interface OsSocket {
  protocol: SocketProtocol;
  /** 4 or 6 for inet sockets, 0 for Unix sockets. */
  family: 0 | 4 | 6;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: SocketState;
  /** Bytes queued for sending (TCP: not yet acknowledged by the peer; LISTEN: the backlog limit). */
  txQueue: number;
  /** Bytes received but not yet read by the program (LISTEN: connections waiting in accept()). */
  rxQueue: number;
  /** Kernel inode (Linux); 0 when unknown or for TIME_WAIT sockets, which belong to no process. */
  inode: number;
  uid?: number;
  /** Unix socket path ('@name' for the abstract namespace). */
  path?: string;
  unixType?: 'stream' | 'dgram' | 'seqpacket';
  pid?: number;
  /** Short process name (comm on Linux, COMMAND in lsof, image name on Windows). */
  command?: string;
  /** Full command line when the OS lets us read it. */
  cmdline?: string;
  /** Total bytes sent/received over this connection, when the OS reports it (Linux `ss -i`). */
  bytesSent?: number;
  bytesReceived?: number;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  command: string;
  cmdline: string;
}

/** `ADDR:PORT` with brackets for IPv6, `*` for the unspecified address. */
export function formatEndpoint(address: string, port: number): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `${host}:${port === 0 ? '*' : port}`;
}
