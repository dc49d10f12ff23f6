// `socket-lab`'s verbs and its help: the command-line face of the same core the extension uses (src/cli.ts runs it).
import { productName, version } from '../about';
import { runSocketsCommand } from './socketsCommand';
import { runCaptureCommand } from './captureCommand';
import { runDecodeCommand } from './decodeCommand';
import { runFollowCommand } from './followCommand';
import { type CliIo, processIo } from './cliIo';
import { runLessonCommand } from './lessonCommand';
import { runListen } from './listenCommand';
import { runRun } from './runCommand';
import { runSend } from './sendCommand';
import { runServe } from './serveCommand';
import { runTrace } from './traceCommand';

const usage = `${productName} ${version}

Usage: socket-lab <command> [options]

Commands:
  sockets         list the machine's sockets (--pid P --port N --state S --json)
  capture         capture packets to a file (--interface IF --filter EXPR --count N --duration S --write FILE)
  decode          decode a pcap/pcapng file like Wireshark's packet list (FILE [--json] [--filter EXPR])
  follow          one conversation's payload, both ways, like Follow Stream: follow tcp|udp FILE --stream N [--print text|hex|raw] [--json]
  listen          run a server: listen tcp|udp|unix ADDR [--mode print|echo|upper|sink|manual] [--framing F] [--count N] [--timeout S] [--json]
  send            send once: send tcp|udp|unix ADDR (--text S [--encoding E] | --hex H | --file F) [--expect-bytes N] [--timeout S] [--print text|hex] [--json]
  run             run a wire script's client blocks and check the answers: run FILE.wire [--block NAME] [--var name=value] [--json] [--junit FILE] [--timeout S]
  serve           serve a wire script's server blocks by their rules: serve FILE.wire [--block NAME] [--var name=value] [--timeout S] [--json]
  trace           run a Python program and show every socket call it makes: trace [--json] [--out FILE] -- python3 prog.py …
  lesson          check your solution of a lesson's exercise: lesson check ID EXERCISE [--dir FOLDER] [--json]; lesson list

Options:
  -h, --help      show this help
  -v, --version   print the version
`;

const verbs: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  sockets: runSocketsCommand,
  capture: runCaptureCommand,
  decode: runDecodeCommand,
  follow: runFollowCommand,
  listen: runListen,
  send: runSend,
  run: runRun,
  serve: runServe,
  lesson: runLessonCommand,
  trace: runTrace,
};
/** Verbs that finish cleanly on Ctrl+C; the others end as any process does (capture stops on its own signals). */
const interruptible = new Set(['listen', 'send', 'run', 'serve', 'lesson']);

export async function main(argv: string[]): Promise<number> {
  const [verb] = argv;
  if (verb === undefined || verb === '-h' || verb === '--help' || verb === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  if (verb === '-v' || verb === '--version') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const run = Object.hasOwn(verbs, verb) ? verbs[verb] : undefined;
  if (run) return run(argv.slice(1), processIo({ interrupt: interruptible.has(verb) }));
  process.stderr.write(`socket-lab: unknown command "${verb}" (try socket-lab --help)\n`);
  return 2;
}
