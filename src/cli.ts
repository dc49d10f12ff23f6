// `socket-lab`: the entry esbuild bundles as dist/cli.js; the verbs live in src/core/cli/.
import { main } from './core/cli/main';

export { main };

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
