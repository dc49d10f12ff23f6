// `socket-lab trace [--json] [--out FILE] -- python3 prog.py args…`: runs a Python program with the socket-call
// recorder and prints (or writes) each socket call it made; the program's own input and output are untouched.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { type CallRecord, describeCall, isPythonCommand, pythonTraceEnvironment, RecordReader } from '../trace/callTrace';
import { type CliIo, parseVerbArgs, readOptions, UsageError } from './cliIo';

export const traceUsage = `Usage: socket-lab trace [--json] [--out FILE] -- COMMAND [ARGS…]
  Runs COMMAND (a Python program: python3 prog.py …) with Socket Lab's socket-call recorder: every socket,
  bind, listen, accept, connect, send, recv, select, shutdown, close … with the program's file:line, the bytes, and
  how long it blocked. The program's input and output stay as they are; the calls go to stderr.
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
  if (!isPythonCommand(program[0])) throw new UsageError(`trace records Python programs (python3 prog.py …); "${program[0]}" is not a Python interpreter`);
  return { json: values.json, out: values.out, program };
}

export async function runTrace(argv: string[], io: CliIo): Promise<number> {
  const o = readOptions('trace', traceUsage, io, () => parseTraceArgs(argv));
  if (typeof o === 'number') return o;
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
  const trace = pythonTraceEnvironment(process.env);
  const reader = new RecordReader();
  let start: number | undefined;
  const show = (r: CallRecord) => {
    if (out) out.write(`${JSON.stringify(r)}\n`);
    else if (o.json) io.err(`${JSON.stringify(r)}\n`);
    else io.err(`${describeCall(r, (start ??= r.t))}\n`);
  };
  const ignore = () => undefined; // Ctrl+C reaches the program (same process group); trace reports how it ended
  process.on('SIGINT', ignore);
  try {
    const child = spawn(o.program[0], o.program.slice(1), { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], env: trace.env });
    const pipe = child.stdio[3] as NodeJS.ReadableStream;
    pipe.setEncoding('utf8');
    pipe.on('data', (chunk: string) => {
      for (const r of reader.feed(chunk)) show(r);
    });
    const ended = new Promise<void>((resolve) => pipe.on('end', resolve).on('error', () => resolve()));
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>((resolve) => {
      child.on('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error }));
      child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    if (exit.error) {
      io.err(`socket-lab trace: cannot start ${o.program[0]} (${exit.error.code ?? exit.error.message}) — is it installed and on PATH?\n`);
      return 127;
    }
    await ended;
    if (reader.malformed) io.err(`socket-lab trace: ${reader.malformed} lines from the recorder could not be read\n`);
    if (exit.signal) return 128 + (os.constants.signals[exit.signal] ?? 0);
    return exit.code ?? 1;
  } finally {
    process.off('SIGINT', ignore);
    trace.dispose();
    if (out) await new Promise<void>((r) => out!.end(r));
  }
}
