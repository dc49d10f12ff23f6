// Socket errors as a code plus one sentence with the fix, in English and Simplified Chinese.
// The core cannot use vscode.l10n, so it keeps its own table; the vscode layer picks the language.
import { CodecError } from './codec/codecError';
import { isLoopback } from './sessions/loopback';

export type ErrorLanguage = 'en' | 'zh-cn';
export type ErrorParams = Record<string, string | number>;

/** Sentences keyed by code; `{name}` placeholders are filled from the error's params. */
export const errorMessages: Record<string, { en: string; 'zh-cn': string }> = {
  ECONNREFUSED: {
    en: 'Nothing listens on {addr} — start the server first, or check the host and port.',
    'zh-cn': '{addr} 上没有程序在监听——请先启动服务器，或检查主机和端口。',
  },
  EADDRINUSE: {
    en: '{addr} is already in use{holder} — stop that program or pick another port (0 picks a free one).',
    'zh-cn': '{addr} 已被占用{holder}——请停止该程序，或换一个端口（0 表示自动选择空闲端口）。',
  },
  EADDRINUSE_UNIX: {
    en: 'The path {path} already exists — delete the old socket file or pick another path.',
    'zh-cn': '路径 {path} 已存在——请删除旧的套接字文件，或换一个路径。',
  },
  EACCES: {
    en: 'Permission denied for {addr} — ports below 1024 need administrator rights; use a port of 1024 or above.',
    'zh-cn': '没有权限使用 {addr}——1024 以下的端口需要管理员权限；请使用 1024 及以上的端口。',
  },
  EACCES_UNIX: {
    en: 'Permission denied for {path} — pick a path in a folder you can write to.',
    'zh-cn': '没有权限访问 {path}——请选择一个你有写权限的文件夹中的路径。',
  },
  EADDRNOTAVAIL: {
    en: '{addr} is not an address of this machine — bind 127.0.0.1, ::1 or 0.0.0.0 instead.',
    'zh-cn': '{addr} 不是本机的地址——请改为绑定 127.0.0.1、::1 或 0.0.0.0。',
  },
  ECONNRESET: {
    en: 'The peer {addr} reset the connection (it closed abruptly or crashed) — check the other program and reconnect.',
    'zh-cn': '对端 {addr} 重置了连接（突然关闭或崩溃）——请检查对方程序后重新连接。',
  },
  EPIPE: {
    en: 'The peer {addr} has already closed the connection, so the data could not be sent — reconnect before sending.',
    'zh-cn': '对端 {addr} 已关闭连接，数据无法发送——请重新连接后再发送。',
  },
  ETIMEDOUT: {
    en: 'No answer from {addr} in time — check that the host is up and no firewall drops the packets.',
    'zh-cn': '{addr} 在规定时间内没有响应——请检查主机是否在线，以及是否有防火墙丢弃了数据包。',
  },
  ETIMEDOUT_LOCAL: {
    en: 'No answer from {addr} in time — on this machine that means the server takes no new connections: its listen queue is full (it does not call accept()) or it is stuck.',
    'zh-cn': '{addr} 在规定时间内没有响应——在本机上这说明服务器不再接受新连接：它的监听队列已满（没有调用 accept()），或者它卡住了。',
  },
  EFAMILY: {
    en: 'This socket is IPv4 and cannot send to the IPv6 address {addr} — send to an IPv4 address such as 127.0.0.1, or open a UDP socket on ::1.',
    'zh-cn': '这个套接字是 IPv4 的，不能发往 IPv6 地址 {addr}——请发往 127.0.0.1 这样的 IPv4 地址，或在 ::1 上打开 UDP 套接字。',
  },
  EHOSTUNREACH: {
    en: 'There is no route to {addr} — check the address and your network connection.',
    'zh-cn': '无法到达 {addr}——请检查地址和网络连接。',
  },
  ENETUNREACH: {
    en: 'The network of {addr} is unreachable — check the address and your network connection.',
    'zh-cn': '{addr} 所在的网络不可达——请检查地址和网络连接。',
  },
  ENOENT: {
    en: 'No socket exists at {path} — start the Unix server first, or check the path.',
    'zh-cn': '{path} 处没有套接字——请先启动 Unix 服务器，或检查路径。',
  },
  ENAMETOOLONG: {
    en: 'The socket path {path} is {bytes} bytes long, but a Unix socket path holds at most {limit} bytes on {os} — pick a shorter path (a shorter folder, or a path relative to the current folder).',
    'zh-cn': '套接字路径 {path} 有 {bytes} 字节，而 {os} 上的 Unix 套接字路径最多 {limit} 字节——请换一个更短的路径（更短的文件夹，或相对于当前文件夹的路径）。',
  },
  EIDLE: {
    en: 'Closed {addr}: no traffic either way for {seconds} s (the idle timeout) — send something sooner, or raise the idle timeout (0 turns it off).',
    'zh-cn': '已关闭 {addr}：{seconds} 秒内双方都没有数据（空闲超时）——请更早发送数据，或调大空闲超时（0 表示关闭）。',
  },
  EMFILE: {
    en: 'A connection from {peer} was refused: this process has no file descriptors left (at most {limit} open files) — close some connections, or raise the limit (ulimit -n).',
    'zh-cn': '来自 {peer} 的连接被拒绝：本进程的文件描述符已用完（最多 {limit} 个打开的文件）——请关闭一些连接，或提高上限（ulimit -n）。',
  },
  EMFILE_NOLIMIT: {
    en: 'A connection from {peer} was refused: this process has no file descriptors left — close some connections, or raise the limit (ulimit -n).',
    'zh-cn': '来自 {peer} 的连接被拒绝：本进程的文件描述符已用完——请关闭一些连接，或提高上限（ulimit -n）。',
  },
  ENFILE: {
    en: 'A connection from {peer} was refused: the system has no file descriptors left — close some programs or connections.',
    'zh-cn': '来自 {peer} 的连接被拒绝：系统的文件描述符已用完——请关闭一些程序或连接。',
  },
  ENOTSOCK: {
    en: '{path} is a file but not a socket — pick the path the server listens on.',
    'zh-cn': '{path} 是普通文件而不是套接字——请填写服务器监听的路径。',
  },
  EMSGSIZE: {
    en: 'The datagram of {size} bytes is too large for UDP — send at most 65,507 bytes (IPv4) per datagram, or use TCP.',
    'zh-cn': '{size} 字节的数据报对 UDP 来说太大——每个数据报最多发送 65,507 字节（IPv4），或改用 TCP。',
  },
  ENOTFOUND: {
    en: 'The host name "{host}" could not be resolved — check its spelling, or use an IP address such as 127.0.0.1.',
    'zh-cn': '无法解析主机名“{host}”——请检查拼写，或使用 127.0.0.1 这样的 IP 地址。',
  },
  EAI_AGAIN: {
    en: 'The host name "{host}" could not be resolved right now (DNS did not answer) — try again, or use an IP address.',
    'zh-cn': '暂时无法解析主机名“{host}”（DNS 没有响应）——请重试，或直接使用 IP 地址。',
  },
  ENOTCONN: {
    en: 'The socket is not connected — connect it before sending.',
    'zh-cn': '套接字尚未连接——请先连接再发送。',
  },
  ECLOSED: {
    en: 'The session {addr} is closed — open a new one to send again.',
    'zh-cn': '会话 {addr} 已关闭——请新建一个会话后再发送。',
  },
  ENOTARGET: {
    en: 'This UDP socket does not know where to send — give a host and port.',
    'zh-cn': '这个 UDP 套接字不知道发往哪里——请提供主机和端口。',
  },
  EBADPORT: {
    en: '"{value}" is not a port — use a whole number from 0 to 65535.',
    'zh-cn': '“{value}”不是有效端口——请使用 0 到 65535 之间的整数。',
  },
  EBADPORT_ZERO: {
    en: 'Port 0 cannot be connected or sent to (it means "any free port" only when listening) — use a port from 1 to 65535.',
    'zh-cn': '不能连接或发送到端口 0（只有监听时它才表示“任意空闲端口”）——请使用 1 到 65535 之间的端口。',
  },
  EBADADDR: {
    en: '"{value}" is not an address — write host:port, [v6]:port or a socket path.',
    'zh-cn': '“{value}”不是有效地址——请写成 host:port、[v6]:port 或套接字路径。',
  },
  ENOSERVER: {
    en: 'This session cannot do that — only {what}.',
    'zh-cn': '这个会话不能执行此操作——仅限{what}。',
  },
  EACCES_BROADCAST: {
    en: 'Sending to the broadcast address {addr} was refused: a socket must turn on SO_BROADCAST first — right-click the socket in Connections and choose Turn Broadcast On/Off (socket-lab: --broadcast).',
    'zh-cn': '发往广播地址 {addr} 被拒绝：套接字必须先打开 SO_BROADCAST——请在“连接”中右键单击该套接字，选择“打开/关闭广播”（socket-lab：--broadcast）。',
  },
  EMCAST_ADDR: {
    en: '{addr} is not a multicast group — groups are 224.0.0.0 to 239.255.255.255 (IPv4) or ff00::/8 (IPv6).',
    'zh-cn': '{addr} 不是组播组——组播地址是 224.0.0.0 到 239.255.255.255（IPv4）或 ff00::/8（IPv6）。',
  },
  EMCAST_UNBOUND: {
    en: 'Joining {addr} needs a bound socket — open the UDP socket on a port first (receivers of a group bind the group\'s port).',
    'zh-cn': '加入 {addr} 需要已绑定的套接字——请先在某个端口上打开 UDP 套接字（组播接收方绑定组播的端口）。',
  },
  EMCAST_IFACE: {
    en: 'There is no interface {addr} on this machine to use for multicast — give one of its own addresses (IPv4) or ::%name (IPv6), or leave it out.',
    'zh-cn': '本机没有可用于组播的接口 {addr}——请给出本机自己的一个地址（IPv4）或 ::%接口名（IPv6），或者不指定。',
  },
  EMCAST_INVALID: {
    en: 'The kernel refused this multicast setting for {addr} (EINVAL) — check that the group, the source and the interface are of one family (IPv4 or IPv6).',
    'zh-cn': '内核拒绝了 {addr} 的这个组播设置（EINVAL）——请检查组、源和接口是否属于同一地址族（IPv4 或 IPv6）。',
  },
  LOG_EXISTS: {
    en: 'The log file {path} already exists — Socket Lab never overwrites a file: pick another name, or move the old log away.',
    'zh-cn': '日志文件 {path} 已存在——Socket Lab 不会覆盖文件：请换一个文件名，或把旧日志移走。',
  },
  LOG_FOLDER: {
    en: 'The folder of the log file {path} does not exist — create it first, or pick another folder.',
    'zh-cn': '日志文件 {path} 所在的文件夹不存在——请先创建它，或换一个文件夹。',
  },
  LOG_DENIED: {
    en: 'Permission denied writing the log file {path} — pick a folder you can write to.',
    'zh-cn': '没有权限写入日志文件 {path}——请选择一个你有写权限的文件夹。',
  },
  LOG_FULL: {
    en: 'The disk is full: the log {path} stopped after {bytes} bytes; the session keeps running — free some space and start the log again.',
    'zh-cn': '磁盘已满：日志 {path} 在写入 {bytes} 字节后停止；会话仍在运行——请腾出空间后重新开始记录。',
  },
  LOG_WRITE: {
    en: 'The log {path} could not be written ({detail}) and stopped; the session keeps running.',
    'zh-cn': '日志 {path} 无法写入（{detail}），已停止；会话仍在运行。',
  },
  EXPORT_EXISTS: {
    en: 'The file {path} already exists — an export never overwrites a file it was not told to: pick another name.',
    'zh-cn': '文件 {path} 已存在——未经确认，导出不会覆盖文件：请换一个文件名。',
  },
  EXPORT_FOLDER: {
    en: 'The folder of {path} does not exist — create it first, or pick another folder for the export.',
    'zh-cn': '{path} 所在的文件夹不存在——请先创建它，或为导出换一个文件夹。',
  },
  EXPORT_DENIED: {
    en: 'Permission denied writing {path} — pick a folder you can write to for the export.',
    'zh-cn': '没有权限写入 {path}——请为导出选择一个你有写权限的文件夹。',
  },
  EXPORT_FULL: {
    en: 'The disk is full: the export to {path} stopped after {bytes} bytes and was removed; a file that was there is unchanged — free some space and export again.',
    'zh-cn': '磁盘已满：导出到 {path} 在写入 {bytes} 字节后停止并已删除；原有文件未被改动——请腾出空间后重新导出。',
  },
  EXPORT_WRITE: {
    en: 'The export to {path} could not be written ({detail}) and was removed; a file that was there is unchanged.',
    'zh-cn': '无法写入导出文件 {path}（{detail}），已删除未完成的导出；原有文件未被改动。',
  },
  LOG_PCAPNG_UNIX: {
    en: 'A Unix-socket session has no IP addresses or ports, so it cannot be logged as pcapng — log it as text, hex or jsonl.',
    'zh-cn': 'Unix 套接字会话没有 IP 地址和端口，无法记录为 pcapng——请记录为 text、hex 或 jsonl。',
  },
  TLS_SELF_SIGNED: {
    en: '{addr} presented a self-signed certificate ({subject}) that this client does not trust — trust it with --ca FILE or the socketLab.tls.caFile setting (FILE holds that certificate; a Socket Lab server says where it keeps its own), or connect with --insecure to skip the check.',
    'zh-cn': '{addr} 出示的是自签名证书（{subject}），本客户端不信任它——请用 --ca 文件或 socketLab.tls.caFile 设置信任它（文件即该证书；Socket Lab 服务器会告诉你它的证书放在哪里），或用 --insecure 连接以跳过检查。',
  },
  TLS_EXPIRED: {
    en: '{addr} presented a certificate ({subject}) that expired on {validTo} — renew the server\'s certificate (a Socket Lab server makes a new one when the cached one is deleted), or check the clocks of both machines.',
    'zh-cn': '{addr} 出示的证书（{subject}）已于 {validTo} 过期——请更新服务器的证书（删除缓存的证书后 Socket Lab 服务器会重新生成），或检查两台机器的时钟。',
  },
  TLS_NOT_YET_VALID: {
    en: '{addr} presented a certificate ({subject}) that is not valid before {validFrom} — check the clocks of both machines.',
    'zh-cn': '{addr} 出示的证书（{subject}）在 {validFrom} 之前无效——请检查两台机器的时钟。',
  },
  TLS_NAME_MISMATCH: {
    en: 'The certificate of {addr} is for {sans}, not for {name} — connect with a name the certificate lists (--servername), or give the server a certificate for {name}.',
    'zh-cn': '{addr} 的证书是签给 {sans} 的，而不是 {name}——请用证书中列出的名称连接（--servername），或给服务器换一张签给 {name} 的证书。',
  },
  TLS_UNKNOWN_CA: {
    en: 'The certificate of {addr} was issued by {issuer}, an authority this client does not trust — trust that authority with --ca FILE or the socketLab.tls.caFile setting, or connect with --insecure to skip the check.',
    'zh-cn': '{addr} 的证书由 {issuer} 签发，本客户端不信任这个签发机构——请用 --ca 文件或 socketLab.tls.caFile 设置信任它，或用 --insecure 连接以跳过检查。',
  },
  TLS_VERIFY: {
    en: 'The certificate of {addr} could not be verified ({detail}) — check the chain the server sends, or connect with --insecure to skip the check.',
    'zh-cn': '无法验证 {addr} 的证书（{detail}）——请检查服务器发送的证书链，或用 --insecure 连接以跳过检查。',
  },
  TLS_HANDSHAKE: {
    en: 'The TLS handshake with {addr} failed ({detail}) — check that the peer speaks TLS on that port (not plain TCP) and shares a TLS version with Socket Lab.',
    'zh-cn': '与 {addr} 的 TLS 握手失败（{detail}）——请检查对方在该端口上使用的是 TLS（而不是普通 TCP），并且与 Socket Lab 有共同的 TLS 版本。',
  },
  TLS_CLIENT_REFUSED: {
    en: 'A client from {peer} broke off the TLS handshake ({detail}) — if it does not trust this server\'s self-signed certificate, give it {cert} as its CA (--ca), or let it skip verification.',
    'zh-cn': '来自 {peer} 的客户端中断了 TLS 握手（{detail}）——如果它不信任本服务器的自签名证书，请把 {cert} 作为它的 CA（--ca），或让它跳过验证。',
  },
  TLS_CLIENT_FAILED: {
    en: 'A client from {peer} broke off the TLS handshake ({detail}) — check that it speaks TLS and trusts this server\'s certificate.',
    'zh-cn': '来自 {peer} 的客户端中断了 TLS 握手（{detail}）——请检查它是否使用 TLS，并且信任本服务器的证书。',
  },
  TLS_CERT_PAIR: {
    en: 'A TLS server needs both a certificate and its private key — give both (--cert and --key), or neither to use a self-signed certificate.',
    'zh-cn': 'TLS 服务器需要证书和对应的私钥——请同时提供两者（--cert 和 --key），或都不提供以使用自签名证书。',
  },
  TLS_BAD_CERT: {
    en: 'The certificate and key cannot serve TLS ({detail}) — give a PEM certificate and the private key that belongs to it.',
    'zh-cn': '这对证书和私钥无法用于 TLS（{detail}）——请提供 PEM 格式的证书及其对应的私钥。',
  },
  TLS_CACHE: {
    en: 'The self-signed certificate could not be kept in {path} ({detail}) — make that folder writable, or give the server a certificate and key.',
    'zh-cn': '无法把自签名证书保存到 {path}（{detail}）——请让该文件夹可写，或为服务器提供证书和私钥。',
  },
  TLS_FILE: {
    en: 'The file {path} could not be read ({detail}) — give the path of a PEM file.',
    'zh-cn': '无法读取文件 {path}（{detail}）——请提供一个 PEM 文件的路径。',
  },
  WS_BAD_URL: {
    en: '"{value}" is not a WebSocket address — write it as ws://host:port/path or wss://host:port/path.',
    'zh-cn': '"{value}" 不是 WebSocket 地址——请写成 ws://主机:端口/路径 或 wss://主机:端口/路径。',
  },
  WS_HANDSHAKE: {
    en: '{addr} did not accept the WebSocket upgrade ({detail}) — check the URL\'s path and that the server speaks WebSocket.',
    'zh-cn': '{addr} 没有接受 WebSocket 升级（{detail}）——请检查 URL 的路径，以及服务器是否支持 WebSocket。',
  },
  TLS_CLIENT_NOT_TLS: {
    en: 'A client from {peer} sent something that is not TLS ({detail}), such as plain HTTP or raw bytes — connect to this port with a TLS client (https://, openssl s_client, socket-lab send tls).',
    'zh-cn': '来自 {peer} 的客户端发送的不是 TLS（{detail}），例如普通 HTTP 或原始字节——请用 TLS 客户端连接此端口（https://、openssl s_client、socket-lab send tls）。',
  },
  TLS_CLIENT_NO_ALPN: {
    en: 'A client from {peer} shares no application protocol (ALPN) with this server, which offers {alpn} — let the client ask for one of these, or add the client\'s protocol to the server\'s --alpn.',
    'zh-cn': '来自 {peer} 的客户端与本服务器没有共同的应用层协议（ALPN），本服务器提供的是 {alpn}——请让客户端请求其中之一，或把客户端的协议加入服务器的 --alpn。',
  },
  TLS_NO_ALPN: {
    en: '{addr} and this client share no application protocol (ALPN) — ask for a protocol the server offers, or ask for none.',
    'zh-cn': '{addr} 与本客户端没有共同的应用层协议（ALPN）——请请求服务器提供的协议，或不请求任何协议。',
  },
  TLS_NO_ALPN_ASKED: {
    en: '{addr} shares no application protocol (ALPN) with this client, which asked for {alpn} — ask for a protocol the server offers (--alpn), or leave --alpn out.',
    'zh-cn': '{addr} 与本客户端没有共同的应用层协议（ALPN），本客户端请求的是 {alpn}——请请求服务器提供的协议（--alpn），或去掉 --alpn。',
  },
  TLS_INSECURE: {
    en: '--insecure: the certificate of {addr} is not trusted ({detail}), so this connection is encrypted but nobody checked who is at the other end — to check it, trust the certificate with --ca FILE.',
    'zh-cn': '--insecure：{addr} 的证书不受信任（{detail}），因此连接虽已加密，但没有核实对端是谁——如需核实，请用 --ca 文件信任该证书。',
  },
  WS_PROTOCOL: {
    en: '{addr} sent a frame that breaks the WebSocket protocol ({detail}); the connection was closed with code {code} — check the peer\'s WebSocket code (a client masks every frame; a frame\'s length has a limit).',
    'zh-cn': '{addr} 发送的帧违反了 WebSocket 协议（{detail}），连接已以代码 {code} 关闭——请检查对方的 WebSocket 代码（客户端必须给每个帧加掩码；帧长度有上限）。',
  },
  WS_CLOSE_UNANSWERED: {
    en: '{addr} did not answer the close within {seconds} s, so the connection was cut — a WebSocket peer answers a close frame with its own.',
    'zh-cn': '{addr} 在 {seconds} 秒内没有回应关闭帧，连接已被切断——WebSocket 对端应以自己的关闭帧回应。',
  },
  EMCAST_FAMILY: {
    en: '{addr} is an IPv6 group, which an IPv4 socket cannot join — bind the socket to [::]:PORT instead of 0.0.0.0:PORT.',
    'zh-cn': '{addr} 是 IPv6 组，IPv4 套接字无法加入——请把套接字绑定到 [::]:端口，而不是 0.0.0.0:端口。',
  },
  EMCAST_SOURCE: {
    en: '{addr} is not an IP address — give the source as the sender\'s IPv4 or IPv6 address.',
    'zh-cn': '{addr} 不是 IP 地址——请把源写成发送方的 IPv4 或 IPv6 地址。',
  },
  EZONE: {
    en: '{addr} names the interface "{zone}", which this machine does not have — write one of {names} after the %.',
    'zh-cn': '{addr} 指定的接口“{zone}”在本机上不存在——请在 % 后写 {names} 之一。',
  },
  EUNKNOWN: {
    en: 'The socket failed ({detail}).',
    'zh-cn': '套接字出错（{detail}）。',
  },
};

export function formatErrorMessage(key: string, params: ErrorParams = {}, lang: ErrorLanguage = 'en'): string {
  const entry = errorMessages[key] ?? errorMessages.EUNKNOWN;
  // {holder} is derived per language from holderName, so each sentence stays in one language
  const holderName = params.holderName;
  if (holderName !== undefined) params = { ...params, holder: holderName === '' ? '' : lang === 'en' ? ` by ${holderName}` : `（占用者：${holderName}）` };
  return entry[lang].replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** Picks the table language for a VS Code / OS locale such as "zh-cn", "zh-Hans", "en-US". */
/**
 * The one rule for Socket Lab's language: Simplified Chinese for the locales VS Code shows its zh-cn bundle in, else
 * English (zh-TW and zh-HK get English, as the rest of the UI does: there is no Traditional Chinese translation).
 */
export function errorLanguageFor(locale: string | undefined): ErrorLanguage {
  return /^zh(-cn|-hans|-sg)?$|^zh$/i.test(locale ?? '') ? 'zh-cn' : 'en';
}

/** An error a student can read: `code` is the OS/Socket Lab code, `message` the English sentence. */
export class SocketLabError extends Error {
  /** Set by the SessionManager when the failure belongs to a session kept in the list. */
  sessionId?: string;
  constructor(
    readonly code: string,
    readonly params: ErrorParams = {},
    /** Table key when it differs from the code (EADDRINUSE on a Unix path, …). */
    readonly messageKey: string = code,
  ) {
    super(formatErrorMessage(messageKey, params));
    this.name = 'SocketLabError';
  }

  localized(lang: ErrorLanguage): string {
    return formatErrorMessage(this.messageKey, this.params, lang);
  }

  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

export interface ErrorContext {
  host?: string;
  port?: number;
  path?: string;
  /** Size of the datagram for EMSGSIZE. */
  size?: number;
  /** Who holds the port, when known ("node (pid 1234)"). */
  holder?: string;
}

export function formatAddress(host: string | undefined, port: number | undefined): string {
  const h = host ?? '127.0.0.1';
  const shown = h.includes(':') ? `[${h}]` : h;
  return port === undefined ? shown : `${shown}:${port}`;
}

/** Turns whatever Node threw into a SocketLabError; never loses the code. */
export function mapSocketError(err: unknown, ctx: ErrorContext = {}): SocketLabError {
  if (err instanceof SocketLabError) return err;
  let e = err as (NodeJS.ErrnoException & { errors?: unknown[] }) | undefined;
  // Node's happy-eyeballs connect reports an AggregateError: the first attempt's code says it all
  if (e && typeof e.code !== 'string' && Array.isArray(e.errors) && e.errors.length) e = e.errors[0] as NodeJS.ErrnoException;
  const raw = typeof e?.code === 'string' ? e.code : 'EUNKNOWN';
  const addr = ctx.path ?? formatAddress(ctx.host, ctx.port);
  const params: ErrorParams = { addr, host: ctx.host ?? '', path: ctx.path ?? '', size: ctx.size ?? 0 };
  switch (raw) {
    case 'EADDRINUSE':
      if (ctx.path) return new SocketLabError(raw, params, 'EADDRINUSE_UNIX');
      return new SocketLabError(raw, { ...params, holderName: ctx.holder ?? '' });
    case 'EACCES':
    case 'EPERM':
      return new SocketLabError('EACCES', params, ctx.path ? 'EACCES_UNIX' : 'EACCES');
    case 'ECONNREFUSED':
      if (ctx.path) return new SocketLabError(raw, params, 'ENOENT');
      return new SocketLabError(raw, params);
    case 'ETIMEDOUT':
      return new SocketLabError(raw, params, ctx.host && isLoopback(ctx.host) ? 'ETIMEDOUT_LOCAL' : raw);
    case 'EINVAL':
      // a udp4 socket asked to send to an IPv6 address
      if (ctx.host?.includes(':')) return new SocketLabError('EFAMILY', params);
      return new SocketLabError(raw, { ...params, detail: e?.message ?? String(err) }, 'EUNKNOWN');
    case 'ENOENT':
    case 'ENOTSOCK':
    case 'ECONNRESET':
    case 'EPIPE':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EMSGSIZE':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EADDRNOTAVAIL':
    case 'ENOTCONN':
      return new SocketLabError(raw, params);
    case 'ERR_SOCKET_DGRAM_NOT_RUNNING':
    case 'ERR_STREAM_DESTROYED':
    case 'ERR_STREAM_WRITE_AFTER_END':
      return new SocketLabError('ECLOSED', params);
    default:
      // OpenSSL's errors ("ERR_SSL_WRONG_VERSION_NUMBER"): a handshake with something that is not a TLS peer like us
      if (raw === 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL') return new SocketLabError(raw, params, 'TLS_NO_ALPN');
      if (raw.startsWith('ERR_SSL_') || raw.startsWith('ERR_TLS_')) return new SocketLabError(raw, { ...params, detail: (e as { reason?: string })?.reason ?? raw }, 'TLS_HANDSHAKE');
      return new SocketLabError(raw, { ...params, detail: e?.message ?? String(err) }, 'EUNKNOWN');
  }
}

/** The sentence of a session's stored error (or a SocketLabError) in `lang`. */
export function localizeError(err: { code: string; message: string; params?: ErrorParams; messageKey?: string }, lang: ErrorLanguage): string {
  if (lang === 'en' || !err.params) return err.message;
  return formatErrorMessage(err.messageKey ?? err.code, err.params, lang);
}

/**
 * The one place a thrown value becomes what the user reads: its code and one sentence in `lang` (a SocketLabError's
 * or CodecError's own, a stored session error's, else the error's message), never a stack trace.
 */
export function errorSentence(e: unknown, lang: ErrorLanguage): { code: string; message: string } {
  if (e instanceof SocketLabError || e instanceof CodecError) return { code: e.code, message: e.localized(lang) };
  const err = e as { code?: unknown; message?: unknown; params?: ErrorParams; messageKey?: string } | undefined;
  if (typeof err?.code === 'string' && typeof err.message === 'string') return { code: err.code, message: localizeError({ code: err.code, message: err.message, params: err.params, messageKey: err.messageKey }, lang) };
  return { code: typeof err?.code === 'string' ? err.code : 'EUNKNOWN', message: e instanceof Error ? e.message : String(e) };
}
