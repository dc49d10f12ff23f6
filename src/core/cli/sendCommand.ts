// `socket-lab send tcp|udp|unix|tls ADDR | ws|wss URL (--text S [--encoding E] | --hex H | --file F) [--expect-bytes N] [--timeout S] [--print text|hex] [--json] [--log F …]`
import * as fs from 'node:fs';
import { checkEncoding, decodeText } from '../codec/encoding';
import { parseFraming } from '../codec/framing';
import { formatHex } from '../../shared/format';
import { buildPayload, parseLineEnding } from '../codec/payload';
import { formatAddress, SocketLabError } from '../errors';
import { Session } from '../sessions/session';
import { SessionManager } from '../sessions/sessionManager';
import { logOptionSpecs, logUsage, parseLogArgs, startCliLog } from './cliLog';
import { parseUdpArgs, sendUdpUsage, udpOptionSpecs } from './cliUdp';
import { parseTlsArgs, sendTlsUsage, startKeyLog, tlsOptionSpecs, tlsReport } from './cliTls';
import { isWs, parseWsArgs, parseWsUrl, sendWsUsage, wsCloseText, wsOptionSpecs, wssTrust } from './cliWs';
import { CLOSE_WAIT_S, WsConnectionSession } from '../sessions/wsSession';
import type { SessionLog } from '../sessions/sessionLog';
import { CliIo, describe, parseAddr, parseCount, parseProto, parseSeconds, parseVerbArgs, readOptions, UsageError } from './cliIo';

export const sendUsage = `Usage: socket-lab send tcp|udp|unix|tls ADDR | ws|wss URL (--text S [--encoding E] | --hex H | --file F) [options]
  ADDR                 host:port, [v6]:port, port (127.0.0.1) or a path (unix; at most 107 bytes on Linux, 103 on macOS)
  --text S             text to send, encoded with --encoding (default utf-8)
  --escapes S          text with C/Python escapes (\\r\\n, \\x00, \\u5e74)
  --hex H              bytes as hex: "48 65 6c", 48656c or 0x48,0x65
  --file F             the bytes of a file (streamed, any size over TCP/unix)
  --line-ending E      none (default), lf or crlf, appended to --text/--escapes/--hex
  --framing F          raw (default), line, len2be, len2le, len4be, len4le
  --expect-bytes N     wait for N bytes back (exit 3 if they do not come in time)
  --timeout S          seconds to wait for the answer (default 5)
  --print text|hex     how to print what comes back (default text)
  --json               print one JSON object: ok, sent, received, text/hex, or code and message
${sendTlsUsage}${sendWsUsage}${sendUdpUsage}${logUsage}Exit codes: 0 sent (and got what was expected), 1 socket error, 2 usage, 3 timed out.
`;

/** `send`'s options, checked ('help' for -h/--help); a mistake throws, for exit 2. */
function parseSendArgs(argv: string[]) {
  const options = {
    text: { type: 'string' },
    escapes: { type: 'string' },
    hex: { type: 'string' },
    file: { type: 'string' },
    encoding: { type: 'string', default: 'utf-8' },
    'line-ending': { type: 'string', default: 'none' },
    framing: { type: 'string', default: 'raw' },
    'expect-bytes': { type: 'string' },
    timeout: { type: 'string', default: '5' },
    print: { type: 'string', default: 'text' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
    ...tlsOptionSpecs,
    ...wsOptionSpecs,
    ...udpOptionSpecs,
    ...logOptionSpecs,
  } as const;
  const { values, positionals } = parseVerbArgs('send', argv, options);
  if (values.help) return 'help';
  const proto = parseProto(positionals[0]);
  if (positionals.length > 2) throw new UsageError(`unexpected argument "${positionals[2]}"`);
  const sources = (['text', 'escapes', 'hex', 'file'] as const).filter((k) => values[k] !== undefined);
  if (sources.length !== 1) throw new UsageError('give exactly one of --text, --escapes, --hex or --file');
  if (values.print !== 'text' && values.print !== 'hex') throw new UsageError(`--print wants text or hex, got "${values.print}"`);
  const encoding = checkEncoding(values.encoding);
  const lineEnding = parseLineEnding(values['line-ending']);
  const ws = isWs(proto);
  const target = ws ? { proto, url: parseWsUrl(proto, positionals[1]) } : parseAddr(proto, positionals[1]);
  if (ws && values.framing !== 'raw') throw new UsageError(`--framing does not apply to ${proto}: each WebSocket message is one message`);
  const o = {
    target,
    udp: parseUdpArgs('send', target, values),
    file: values.file,
    payload: values.file === undefined ? buildPayload({ text: values.text, escaped: values.escapes, hex: values.hex, encoding, lineEnding }) : undefined,
    framing: parseFraming(values.framing),
    expect: parseCount(values['expect-bytes'], '--expect-bytes'),
    timeout: parseSeconds(values.timeout, '--timeout') ?? 5,
    encoding,
    hex: values.print === 'hex',
    json: values.json,
    log: parseLogArgs(values),
    tls: parseTlsArgs('send', proto, values),
    ws: parseWsArgs('send', proto, values),
    /** ws/wss: --text is a text message, --hex a binary one, --escapes text when it is UTF-8. */
    wsType: values.text !== undefined ? 'text' as const : values.hex !== undefined ? 'binary' as const : undefined,
  };
  if (o.target.port === 0) throw new UsageError('port 0 cannot be sent to — give the port the server listens on (1 to 65535)');
  if (o.file !== undefined) checkReadableFile(o.file);
  return o;
}

export async function runSend(argv: string[], io: CliIo): Promise<number> {
  const o = readOptions('send', sendUsage, io, () => parseSendArgs(argv));
  if (typeof o === 'number') return o;
  const { target, file, payload, framing, expect, timeout, encoding, hex, json } = o;
  let log: SessionLog | undefined;
  const started = Date.now();
  const manager = new SessionManager({ transcriptBytes: 1024 * 1024 });
  const received: Uint8Array[] = [];
  let receivedBytes = 0;
  let session: Session | undefined;
  const fail = (e: unknown, code: number) => {
    const d = describe(e);
    if (json) io.out(`${JSON.stringify({ ok: false, code: d.code, message: d.message, sent: session?.stats.bytesOut ?? 0, received: receivedBytes })}\n`);
    else io.err(`socket-lab send: ${d.message}\n`);
    return code;
  };
  try {
    if (o.tls) startKeyLog('send', o.tls, manager, io);
    if (target.proto === 'tcp') session = await manager.connectTcp({ host: target.host, port: target.port!, framing, timeoutMs: timeout * 1000 });
    else if (target.proto === 'tls') {
      const t = o.tls!;
      session = await manager.connectTls({ host: target.host, port: target.port!, framing, timeoutMs: timeout * 1000, ca: t.ca, servername: t.servername, insecure: t.insecure, alpn: t.alpn });
      // the handshake on stderr, with the reason when --insecure let an untrusted server through
      if (!json) io.err(tlsReport('socket-lab send: ', session.tls!) + (session.tls!.verifyError ? `socket-lab send: ${insecureText(target.host, target.port!, session.tls!.verifyError.code)}\n` : ''));
    }
    else if (target.url) {
      session = await manager.connectWs({ url: target.url, protocols: o.ws!.protocols, headers: o.ws!.headers, ...wssTrust(o.tls), timeoutMs: timeout * 1000 });
      if (!json && session instanceof WsConnectionSession && session.wsInfo.protocol) io.err(`socket-lab send: subprotocol ${session.wsInfo.protocol}\n`);
    } else if (target.proto === 'unix') session = await manager.connectUnix({ path: target.path!, framing, timeoutMs: timeout * 1000 });
    else session = await manager.openUdp({ remoteHost: target.host, remotePort: target.port, framing, ...o.udp });
    const s = session;
    if (o.log) log = await startCliLog('send', o.log, manager, s, io);
    // bytes as they arrive, without framing: --expect-bytes counts what the wire carried
    s.transcript.onDidGrow((c) => {
      if (c.dir !== 'in') return;
      const d = s.transcript.chunkData(c.seq);
      if (d) received.push(d);
      receivedBytes += c.length;
    });
    let sent: number;
    if (file !== undefined) {
      const size = fs.statSync(file).size;
      sent = await s.sendStream(fs.createReadStream(file, { highWaterMark: 64 * 1024 }), size);
    } else {
      await s.send(payload!, { wsType: o.wsType });
      sent = payload!.length;
    }
    // without an expectation a TCP/unix sender says it is done (FIN) and reads until the peer closes
    if (expect === undefined && target.proto !== 'udp' && !target.url) s.halfClose();
    await awaitAnswer(s, expect, target.proto === 'udp', timeout, () => receivedBytes, !!target.url);
    // WebSocket messages keep their boundaries: one per line
    const parts = target.url ? received.map((r) => (r[r.length - 1] === 0x0a ? r : Buffer.concat([r, Uint8Array.of(0x0a)]))) : received;
    const all = Buffer.concat(parts.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength)));
    const shown = hex ? formatHex(all) : decodeText(all, encoding);
    if (target.url) await closeWs(s);
    const unanswered = s instanceof WsConnectionSession && s.closeUnanswered !== undefined ? describe(new SocketLabError('WS_CLOSE_UNANSWERED', { addr: s.label, seconds: s.closeUnanswered }, 'WS_CLOSE_UNANSWERED')).message : undefined;
    if (unanswered && !json) io.err(`socket-lab send: ${unanswered}\n`);
    if (s.error && !(expect !== undefined && receivedBytes >= expect)) {
      manager.dispose();
      await log?.stop();
      return fail(new SocketLabError(s.error.code, s.error.params, s.error.messageKey), 1);
    }
    const missing = expect !== undefined && receivedBytes < expect;
    if (json) {
      const r: Record<string, unknown> = { ok: !missing, sent, received: receivedBytes, local: s.localPort !== undefined ? `${s.localAddress}:${s.localPort}` : undefined, elapsedMs: Date.now() - started, tls: s.tls };
      if (s instanceof WsConnectionSession) Object.assign(r, { messages: received.length, protocol: s.wsInfo.protocol, close: wsCloseText(s), closeUnanswered: unanswered });
      r[hex ? 'hex' : 'text'] = shown;
      if (missing) Object.assign(r, { code: 'ETIMEDOUT', message: `received ${receivedBytes} of ${expect} bytes within ${timeout} s` });
      io.out(`${JSON.stringify(r)}\n`);
    } else {
      if (all.length) io.out(hex ? `${shown}\n` : shown);
      if (missing) io.err(`socket-lab send: received ${receivedBytes} of ${expect} bytes within ${timeout} s\n`);
    }
    s.close();
    manager.dispose();
    await log?.stop();
    return missing ? 3 : 0;
  } catch (e) {
    manager.dispose();
    await log?.stop();
    return fail(withAlpn(e, o.tls?.alpn), 1);
  }
}

/**
 * Waits until `expect` bytes came, the peer closed (UDP without --expect-bytes: not at all; WebSocket without it: one
 * message) or `timeoutS` passed.
 */
function awaitAnswer(s: Session, expect: number | undefined, udp: boolean, timeoutS: number, received: () => number, ws = false): Promise<void> {
  return new Promise<void>((resolve) => {
    const check = () => {
      if (expect !== undefined && received() >= expect) resolve();
      else if (expect === undefined && ws && s.stats.chunksIn > 0) resolve();
      else if (!s.isAlive || s.state === 'half-closed-by-peer') resolve();
      else if (expect === undefined && udp) resolve();
    };
    const t = setTimeout(resolve, timeoutS * 1000);
    t.unref();
    s.onDidChange(check);
    check();
  });
}

/** --insecure let an untrusted server through: why it is not trusted, without suggesting --insecure. */
function insecureText(host: string | undefined, port: number, code: string): string {
  return describe(new SocketLabError(code, { addr: formatAddress(host, port), detail: code }, 'TLS_INSECURE')).message;
}

/** No shared ALPN protocol: the sentence names what this client asked for. */
function withAlpn(e: unknown, alpn: string[] | undefined): unknown {
  if (!(e instanceof SocketLabError) || e.messageKey !== 'TLS_NO_ALPN' || !alpn?.length) return e;
  return new SocketLabError(e.code, { ...e.params, alpn: alpn.join(', ') }, 'TLS_NO_ALPN_ASKED');
}

/** A WebSocket client's closing handshake (1000): done, or cut by the session after CLOSE_WAIT_S (this waits a second more at most). */
function closeWs(s: Session): Promise<void> {
  s.close();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, (CLOSE_WAIT_S + 1) * 1000);
    const check = () => {
      if (s.isAlive) return;
      clearTimeout(t);
      resolve();
    };
    s.onDidChange(check);
    check();
  });
}

/** Refuse a path that is not a readable regular file before connecting, so the peer never sees a half-open attempt. */
function checkReadableFile(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new UsageError(`no file at ${file}`);
  }
  if (st.isDirectory()) throw new UsageError(`${file} is a directory — --file sends the bytes of one file`);
  if (!st.isFile() && !st.isFIFO() && !st.isCharacterDevice()) throw new UsageError(`${file} is not a regular file — --file sends the bytes of one file`);
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    throw new UsageError(`cannot read ${file} (permission denied) — check its permissions`);
  }
}
