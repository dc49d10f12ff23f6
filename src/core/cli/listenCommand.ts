// `socket-lab listen tcp|udp|unix|tls|ws|wss ADDR [--mode …] [--cert F --key F] [--keylog F] [--framing …] [--count N] [--timeout S] [--json] [--log F …]`
import { decodeText, checkEncoding } from '../codec/encoding';
import { parseFraming } from '../codec/framing';
import { formatHex } from '../../shared/format';
import { ReceivedMessage, ServerMode, Session } from '../sessions/session';
import { ListenerSession } from '../sessions/listenerSession';
import { StreamSession } from '../sessions/streamSession';
import { SessionManager } from '../sessions/sessionManager';
import { logOptionSpecs, logUsage, parseLogArgs, startCliLog } from './cliLog';
import { listenUdpUsage, parseUdpArgs, udpOptionSpecs } from './cliUdp';
import { listenTlsUsage, parseTlsArgs, startKeyLog, tlsOptionSpecs } from './cliTls';
import { isWs, listenWsUsage, parseWsArgs, wsCloseText, wsOptionSpecs } from './cliWs';
import { WsConnectionSession, WsServerSession } from '../sessions/wsSession';
import type { SessionLog } from '../sessions/sessionLog';
import { CliIo, describe, parseAddr, parseCount, parseProto, parseSeconds, parseVerbArgs, readOptions, showAddr, UsageError } from './cliIo';

export const listenUsage = `Usage: socket-lab listen tcp|udp|unix|tls|ws|wss ADDR [options]
  ADDR                 host:port, [v6]:port, port (binds 127.0.0.1; 0 picks a free port) or a path (unix;
                       at most 107 bytes on Linux, 103 on macOS: a longer one is a usage error)
  --mode M             print (default), echo, upper, sink or manual (answer with the bytes typed on stdin,
                       sent line by line as they are: each ends at LF, CR and non-UTF-8 bytes kept)
  --framing F          raw (default), line, len2be, len2le, len4be, len4le
                       (ws/wss: applied to each message; upper upper-cases text messages, binary ones are echoed)
  --count N            exit after N messages (chunks, lines, frames, datagrams or WebSocket messages)
  --timeout S          stop after S seconds (exit 3 if --count was not reached)
  --idle-timeout S     close an accepted connection after S seconds without traffic either way (tcp, unix, tls)
  --encoding E         how to print text (default utf-8)
  --print text|hex     print received messages as text (default) or hex
  --json               one JSON object per line: listening, accepted, message, closed, done, error
${listenTlsUsage}${listenWsUsage}${listenUdpUsage}${logUsage}`;

const modeOf = (m: string): ServerMode => {
  if (m === 'print' || m === 'print-only') return 'print-only';
  if (m === 'echo' || m === 'upper' || m === 'sink' || m === 'manual') return m;
  throw new UsageError(`unknown mode "${m}": use print, echo, upper, sink or manual`);
};

/** `listen`'s options, checked ('help' for -h/--help); a mistake throws, for exit 2. */
function parseListenArgs(argv: string[]) {
  const options = {
    mode: { type: 'string', default: 'print' },
    framing: { type: 'string', default: 'raw' },
    count: { type: 'string' },
    timeout: { type: 'string' },
    'idle-timeout': { type: 'string' },
    encoding: { type: 'string', default: 'utf-8' },
    print: { type: 'string', default: 'text' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
    ...tlsOptionSpecs,
    ...wsOptionSpecs,
    ...udpOptionSpecs,
    ...logOptionSpecs,
  } as const;
  const { values, positionals } = parseVerbArgs('listen', argv, options);
  if (values.help) return 'help';
  const proto = parseProto(positionals[0]);
  if (positionals.length > 2) throw new UsageError(`unexpected argument "${positionals[2]}"`);
  if (values['idle-timeout'] !== undefined && proto === 'udp') throw new UsageError('--idle-timeout applies to tcp and unix connections; UDP has none');
  if (values.print !== 'text' && values.print !== 'hex') throw new UsageError(`--print wants text or hex, got "${values.print}"`);
  const target = parseAddr(proto, positionals[1]);
  if (isWs(proto) && values.framing !== 'raw') throw new UsageError(`--framing does not apply to ${proto}: each WebSocket message is one message`);
  return {
    target,
    udp: parseUdpArgs('listen', target, values),
    mode: modeOf(values.mode),
    framing: parseFraming(values.framing),
    count: parseCount(values.count, '--count'),
    timeout: parseSeconds(values.timeout, '--timeout'),
    idleTimeout: parseSeconds(values['idle-timeout'], '--idle-timeout'),
    encoding: checkEncoding(values.encoding),
    hex: values.print === 'hex',
    json: values.json,
    log: parseLogArgs(values),
    tls: parseTlsArgs('listen', proto, values),
    ws: parseWsArgs('listen', proto, values),
  };
}

type ListenOptions = Exclude<ReturnType<typeof parseListenArgs>, 'help'>;

/** How `listen` tells: JSON lines on stdout with --json, else sentences on stderr. */
interface Reporter {
  json: boolean;
  emit(o: object): void;
  error(code: string, message: string): void;
}

function reporter(io: CliIo, json: boolean): Reporter {
  const emit = (o: object) => io.out(`${JSON.stringify(o)}\n`);
  return {
    json,
    emit,
    error: (code, message) => (json ? emit({ event: 'error', code, message }) : io.err(`socket-lab listen: ${message}\n`)),
  };
}

export async function runListen(argv: string[], io: CliIo): Promise<number> {
  const opts = readOptions('listen', listenUsage, io, () => parseListenArgs(argv));
  if (typeof opts === 'number') return opts;
  const { target, mode, framing, idleTimeout, json } = opts;
  const say = reporter(io, json);
  // a listener left running keeps no finished connection: each is printed as it happens, then forgotten
  const manager = new SessionManager({ transcriptBytes: 256 * 1024, closedChildrenKept: 0, idleTimeoutMs: (idleTimeout ?? 0) * 1000 });
  let session: Session;
  let log: SessionLog | undefined;
  try {
    if (opts.tls) startKeyLog('listen', opts.tls, manager, io);
    if (target.proto === 'tcp') session = await manager.startTcpServer({ host: target.host, port: target.port!, mode, framing });
    else if (target.proto === 'tls') session = await manager.startTlsServer({ host: target.host, port: target.port!, mode, framing, cert: opts.tls?.cert, key: opts.tls?.key, alpn: opts.tls?.alpn });
    else if (isWs(target.proto)) {
      session = await manager.startWsServer({ host: target.host, port: target.port!, mode, tls: target.proto === 'wss', cert: opts.tls?.cert, key: opts.tls?.key, subprotocols: opts.ws?.protocols });
    } else if (target.proto === 'unix') session = await manager.startUnixServer({ path: target.path!, mode, framing });
    else session = await manager.openUdp({ host: target.host, port: target.port, mode, framing, ...opts.udp });
    if (opts.log) log = await startCliLog('listen', opts.log, manager, session, io);
  } catch (e) {
    const d = describe(e);
    say.error(d.code, d.message);
    manager.dispose();
    return 1;
  }
  const where = target.proto === 'unix' ? target.path! : isWs(target.proto) ? `${session.label}/` : showAddr(session.localAddress, session.localPort);
  const certPath = session instanceof ListenerSession || session instanceof WsServerSession ? session.certPath : undefined;
  if (json) say.emit({ event: 'listening', proto: target.proto, address: where, host: session.localAddress, port: session.localPort, path: target.path, mode, certPath });
  else io.out(`listening on ${where}\n`);
  // how a client trusts the certificate made for this server
  if (certPath && !json) io.err(`socket-lab listen: self-signed certificate for localhost, 127.0.0.1 and ::1, kept in ${certPath}; clients trust it with --ca ${certPath}\n`);
  const code = await serve(opts, io, manager, session);
  await log?.stop();
  return code;
}

/** Prints what arrives until --count, --timeout, Ctrl+C, the output's reader leaving or the socket failing. */
function serve(opts: ListenOptions, io: CliIo, manager: SessionManager, session: Session): Promise<number> {
  const { target, mode, framing, count, timeout, encoding, hex, json } = opts;
  const say = reporter(io, json);
  const output = io.output;
  let messages = 0;
  let notPrinted = 0;
  return new Promise<number>((resolve) => {
    let finished = false;
    const stops: (() => void)[] = [];
    const finish = (code: number, reason?: string, errCode = 'ETIMEDOUT') => {
      if (finished) return;
      finished = true;
      for (const stop of stops) stop();
      if (io.stdin === process.stdin) process.stdin.destroy(); // let the process exit
      const st = session.stats;
      if (reason) say.error(errCode, reason);
      if (json) say.emit({ event: 'done', messages, bytesIn: st.bytesIn, bytesOut: st.bytesOut, droppedChunks: st.droppedChunks });
      // finish our side first (FIN after any echo answers), then close
      session.halfClose();
      setTimeout(() => {
        session.close();
        manager.dispose();
        resolve(code);
      }, 50);
    };
    const counted = () => {
      if (count !== undefined && messages >= count) finish(0);
    };
    if (mode === 'sink') {
      // sink delivers no messages: count received chunks instead
      manager.onDidChange((e) => {
        if (e.kind !== 'data') return;
        messages = session.stats.chunksIn;
        counted();
      });
    } else {
      session.onDidReceiveMessage((m: ReceivedMessage) => {
        messages++;
        if (output?.blocked && target.proto === 'udp') notPrinted++;
        else if (json) say.emit({ event: 'message', session: m.sessionId, peer: m.peer, bytes: m.data.length, text: decodeText(m.data, encoding), hex: formatHex(m.data) });
        else if (hex) io.out(`${formatHex(m.data)}\n`);
        else {
          const text = decodeText(m.data, encoding);
          // a WebSocket message has real boundaries: one per line, as framed messages
          io.out((framing.kind === 'raw' && !isWs(target.proto)) || text.endsWith('\n') ? text : `${text}\n`);
        }
        counted();
      });
    }
    // stdout blocked (its reader is not reading): connections stop being read, so TCP pushes back on the peers and
    // nothing piles up here; UDP cannot push back, so datagrams are not printed, and counted. EPIPE ends quietly.
    const hold = (s: Session) => {
      if (s instanceof StreamSession || s instanceof WsConnectionSession) s.holdReading(!!output?.blocked);
    };
    const watchOutput = output?.onDidChange(() => {
      if (output.closed) return finish(0);
      for (const s of manager.all()) hold(s);
      if (!output.blocked && notPrinted) {
        io.err(`socket-lab listen: ${notPrinted} datagram${notPrinted === 1 ? ' was' : 's were'} not printed while the output was blocked\n`);
        notPrinted = 0;
      }
    });
    if (watchOutput) stops.push(() => watchOutput.dispose());
    reportConnections(manager, session, say, io, hold);
    session.onDidChange(() => {
      if (!session.isAlive && !finished) finish(1, session.error?.message ?? 'the socket closed', session.error?.code ?? 'ECLOSED');
    });
    if (mode === 'manual' && io.stdin) stops.push(answerFromStdin(io.stdin, session, io));
    if (session instanceof ListenerSession) stops.push(reportRefusals(session, say, io));
    if (session instanceof ListenerSession) session.onDidFailHandshake((e) => say.error(e.code, e.message));
    if (timeout !== undefined) {
      const t = setTimeout(() => (count !== undefined ? finish(3, `timed out after ${timeout} s: received ${messages} of ${count} messages`) : finish(0)), timeout * 1000);
      stops.push(() => clearTimeout(t));
    }
    io.signal?.addEventListener('abort', () => finish(0), { once: true });
  });
}

/** Each connection the listener accepts: held while the output is, its end said (and with --json its start). */
function reportConnections(manager: SessionManager, listener: Session, say: Reporter, io: CliIo, hold: (s: Session) => void): void {
  manager.onDidAdd((s) => {
    if (s.parentId !== listener.id) return;
    hold(s);
    if (say.json) say.emit({ event: 'accepted', session: s.id, peer: s.label, tls: s.tls });
    else if (s.tls) io.err(`socket-lab listen: ${s.label}: ${s.tls.protocol}, ${s.tls.cipher}, SNI ${s.tls.sni ?? 'none'}, ALPN ${s.tls.alpn ?? 'none'}\n`);
    const d = s.onDidChange(() => {
      if (s.isAlive) return;
      d.dispose();
      if (say.json) say.emit({ event: 'closed', session: s.id, peer: s.label, error: s.error?.code, ws: wsCloseText(s) });
      // a connection closed for a reason (EFRAMEBUDGET, EIDLE, a reset) says why in text mode too
      else if (s.error) io.err(`socket-lab listen: ${s.label} closed: ${describe(s.error).message}\n`);
      else if (wsCloseText(s)) io.err(`socket-lab listen: ${s.label} ${wsCloseText(s)}\n`);
    });
  });
}

/** --mode manual: the bytes typed on stdin go out line by line, exactly as typed; returns the function that stops it. */
function answerFromStdin(stdin: NodeJS.ReadableStream, session: Session, io: CliIo): () => void {
  // bytes, not text: a line ends at LF and goes out exactly as typed (CR and non-UTF-8 bytes kept)
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const sendOut = (bytes: Buffer) => {
    session.send(bytes).catch((e) => io.err(`socket-lab listen: ${describe(e).message}\n`));
  };
  const flush = () => {
    if (pendingBytes) sendOut(Buffer.concat(pending));
    pending = [];
    pendingBytes = 0;
  };
  const onData = (d: Buffer | string) => {
    const buf = typeof d === 'string' ? Buffer.from(d, 'utf8') : d;
    let start = 0;
    for (let lf = buf.indexOf(0x0a); lf !== -1; lf = buf.indexOf(0x0a, start)) {
      pending.push(buf.subarray(start, lf + 1));
      pendingBytes += lf + 1 - start;
      flush();
      start = lf + 1;
    }
    if (start < buf.length) {
      pending.push(buf.subarray(start));
      pendingBytes += buf.length - start;
    }
    if (pendingBytes >= 65_507) flush(); // a line without LF is sent in pieces no larger than a UDP datagram holds
  };
  stdin.on('data', onData);
  stdin.on('end', flush); // the last line, even without LF
  return () => {
    stdin.off('data', onData);
    stdin.off('end', flush);
  };
}

/** Refusals at the descriptor limit: the first of each second in full, then how many more; returns the stop. */
function reportRefusals(listener: ListenerSession, say: Reporter, io: CliIo): () => void {
  let refusalTimer: NodeJS.Timeout | undefined;
  let more = 0;
  const tell = (code: string, message: string, n: number) => {
    if (say.json) say.emit({ event: 'refused', code, message, count: n });
    else io.err(`socket-lab listen: ${message}\n`);
  };
  listener.onDidRefuse((e) => {
    if (refusalTimer) {
      more++;
      return;
    }
    tell(e.code, e.message, 1);
    refusalTimer = setTimeout(function tick() {
      if (more) {
        tell(e.code, `${more} more connection${more === 1 ? '' : 's'} refused in the last second (${e.code}: no file descriptor left)`, more);
        more = 0;
        refusalTimer = setTimeout(tick, 1000);
      } else refusalTimer = undefined;
    }, 1000);
  });
  return () => {
    if (refusalTimer) clearTimeout(refusalTimer);
  };
}
