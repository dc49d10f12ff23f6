// `socket-lab`: the command-line face of the same core the extension uses.
import { productName, version } from './core/about';
import { runSocketsCommand } from './core/cli/socketsCommand';
import { runCaptureCommand } from './core/cli/captureCommand';
import { runDecodeCommand } from './core/cli/decodeCommand';
import { processIo } from './core/cli/cliIo';
import { runListen } from './core/cli/listenCommand';
import { runSend } from './core/cli/sendCommand';

const usage = `${productName} ${version}

Usage: socket-lab <command> [options]

Commands:
  sockets         list the machine's sockets (--pid P --port N --state S --json)
  capture         capture packets to a file (--interface IF --filter EXPR --count N --duration S --write FILE)
  decode          decode a pcap/pcapng file like Wireshark's packet list (FILE [--json] [--filter EXPR])
  listen          run a server: listen tcp|udp|unix ADDR [--mode print|echo|upper|sink|manual] [--framing F] [--count N] [--timeout S] [--json]
  send            send once: send tcp|udp|unix ADDR (--text S [--encoding E] | --hex H | --file F) [--expect-bytes N] [--timeout S] [--print text|hex] [--json]

Options:
  -h, --help      show this help
  -v, --version   print the version
`;

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
  if (verb === 'sockets') return runSocketsCommand(argv.slice(1));
  if (verb === 'capture') return runCaptureCommand(argv.slice(1));
  if (verb === 'decode') return runDecodeCommand(argv.slice(1));
  if (verb === 'listen') return runListen(argv.slice(1), processIo());
  if (verb === 'send') return runSend(argv.slice(1), processIo());
  process.stderr.write(`socket-lab: unknown command "${verb}" (try socket-lab --help)\n`);
  return 2;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // output a stalled reader never takes would keep the process alive: give it a second, then go
      if (process.stdout.writableLength) setTimeout(() => process.exit(code), 1000).unref();
    },
    (e: unknown) => {
      process.stderr.write(`socket-lab: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
