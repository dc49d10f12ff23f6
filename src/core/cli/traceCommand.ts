// `socket-lab trace [--json] [--out FILE] -- python3 prog.py args…`: runs a Python program with the socket-call
// recorder and prints (or writes) each socket call it made; the program's own input and output are untouched.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { findExecutable } from '../pathLookup';
import { type CallRecord, describeCall, isNodeCommand, isPythonCommand, TraceCollector } from '../trace/callTrace';
import { StraceParser, straceArgs, straceChannel } from '../trace/straceRecords';
import { type CliIo, parseVerbArgs, readOptions, UsageError } from './cliIo';

export const traceUsage = `Usage: socket-lab trace [--json] [--out FILE] -- COMMAND [ARGS…]
  Runs COMMAND with Socket Lab's socket-call recorder: every socket, bind, listen, accept, connect, send, recv,
  shutdown, close … with the bytes and how long it blocked. A Python program (python3 prog.py …) or a Node.js one
  (node app.js …: net, dgram, tls; a recv is a 'data' event, at the line that added its listener) is recorded with
  each call's file:line; any other program through strace (Linux, when installed), without source lines. The program's input and output stay as they are; the calls go to stderr,
  one line per call when it returned (+seconds since the first call, the process id, file:line, the call).
  --json        one JSON object per call (JSON Lines)
  --out FILE    write the calls to FILE as JSON Lines instead (a new file: an existing one is never overwritten)
Exit code: the program's own (128+N when signal N ended it); 2 usage; 127 when COMMAND cannot be started.
`;

function parseTraceArgs(argv: string[]) {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const command = dash < 0 ? [] : argv.slice(dash + 1);
  const { values, positionals } = parseVerbArgs('trace', own, { json: { type: 'boolean', default: false }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const);
  if (values.help) return 'help';
  const program = command.length ? command : positionals;
  if (program.length === 0) throw new UsageError('give the program to run after --, e.g. socket-lab trace -- python3 client.py');
  return { json: values.json, out: values.out, program };
}

export async function runTrace(argv: string[], io: CliIo): Promise<number> {
  const o = readOptions('trace', traceUsage, io, () => parseTraceArgs(argv));
  if (typeof o === 'number') return o;
  // Python and Node.js: the recorders with source lines; any other program: strace, without them
  const recorded = isPythonCommand(o.program[0]) || isNodeCommand(o.program[0]);
  const strace = recorded ? undefined : await findExecutable('strace');
  if (!recorded && !strace) {
    io.err(`socket-lab trace: ${o.program[0]} is neither Python nor Node.js, and other programs are traced with strace, which is not installed — install it (apt-get install strace)\n`);
    return 2;
  }
  if (strace) {
    // strace would say "Cannot find executable" and exit 1; a shell says this and exits 127
    if (!(await runnable(o.program[0]))) {
      io.err(`socket-lab trace: ${o.program[0]}: command not found\n`);
      return 127;
    }
    io.err(`socket-lab trace: ${o.program[0]} is traced with strace: only network system calls are recorded (socket, connect, sendto, recvfrom…), not read or write on a socket, and without source lines\n`);
  }
  let out: fs.WriteStream | undefined;
  if (o.out !== undefined) {
    try {
      out = fs.createWriteStream('', { fd: fs.openSync(o.out, 'wx') });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      io.err(`socket-lab trace: ${code === 'EEXIST' ? `${o.out} already exists — pick another name (an existing file is never overwritten)` : `cannot write ${o.out} (${code})`}\n`);
      return 2;
    }
  }
  const trace = recorded ? await TraceCollector.start(process.env) : undefined;
  const channel = strace ? straceChannel() : undefined;
  let start: number | undefined;
  const show = (r: CallRecord) => {
    if (out) out.write(`${JSON.stringify(r)}\n`);
    else if (o.json) io.err(`${JSON.stringify(r)}\n`);
    else io.err(`${describeCall(r, (start ??= r.t))}\n`);
  };
  const ignore = () => undefined; // Ctrl+C reaches the program (same process group); trace reports how it ended
  process.on('SIGINT', ignore);
  try {
    const [command, ...args] = strace && channel ? [strace, ...straceArgs(o.program, channel.fifo)] : o.program;
    const child = spawn(command, args, { stdio: 'inherit', env: trace?.env ?? process.env });
    trace?.onRecords((rs) => rs.forEach(show));
    let ended: Promise<void> = Promise.resolve();
    if (channel) {
      // the FIFO opens once strace opens it for writing; a strace that fails before that opens it here to let it go
      const parser = new StraceParser();
      const fifo = fs.createReadStream(channel.fifo, { encoding: 'utf8' });
      fifo.on('data', (chunk) => parser.feed(String(chunk)).forEach(show));
      ended = new Promise<void>((resolve) => fifo.on('close', resolve).on('error', () => resolve()));
      child.on('exit', () => fs.open(channel.fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK, (e, fd) => !e && fs.close(fd, () => undefined)));
    }
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>((resolve) => {
      child.on('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error }));
      child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    if (exit.error) {
      io.err(`socket-lab trace: cannot start ${o.program[0]} (${exit.error.code ?? exit.error.message}) — is it installed and on PATH?\n`);
      return 127;
    }
    await ended;
    await trace?.drained();
    if (trace && trace.connections === 0) io.err(`socket-lab trace: no process loaded the recorder, so no call was recorded${isPythonCommand(o.program[0]) ? ' (python3 -I, -E and -S skip the recorder: run without them to record)' : ''}\n`);
    if (trace?.malformed) io.err(`socket-lab trace: ${trace.malformed} lines from the recorder could not be read\n`);
    if (exit.signal) return 128 + (os.constants.signals[exit.signal] ?? 0);
    return exit.code ?? 1;
  } finally {
    process.off('SIGINT', ignore);
    trace?.dispose();
    channel?.dispose();
    if (out) await new Promise<void>((r) => out!.end(r));
  }
}

/** A command a shell would find: a path to a file we may run, or a name on PATH. */
async function runnable(command: string): Promise<boolean> {
  if (!command.includes('/')) return (await findExecutable(command)) !== undefined;
  try {
    await fs.promises.access(command, fs.constants.X_OK);
    return fs.statSync(command).isFile();
  } catch {
    return false;
  }
}
