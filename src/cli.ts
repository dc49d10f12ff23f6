// `socket-lab`: the command-line face of the same core the extension uses.
import { productName, version } from './core/about';

const usage = `${productName} ${version}

Usage: socket-lab <command> [options]

Commands:
  (added as features land; see README.md)

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
  process.stderr.write(`socket-lab: unknown command "${verb}" (try socket-lab --help)\n`);
  return 2;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`socket-lab: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
