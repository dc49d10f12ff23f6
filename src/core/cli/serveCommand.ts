// `socket-lab serve FILE.wire [--block NAME …] [--var name=value …] [--timeout S] [--json]`
import { decodeText } from '../codec/encoding';
import { formatHex } from '../../shared/format';
import { SessionManager } from '../sessions/sessionManager';
import { blockLabel } from '../wire/wireParser';
import { ServedBlock, viewBytes } from '../wire/wireRunner';
import { CliIo, describe, parseSeconds, parseVerbArgs, readOptions, UsageError } from './cliIo';
import { hitsLine, loadScript, parseVars, readScript, selectBlocks, servedJson, startServers } from './runCommand';

export const serveUsage = `Usage: socket-lab serve FILE.wire [options]
  FILE.wire            a wire script (docs/wire-format.md): its server blocks (listen …) answer by their rules
  --block NAME         serve only the server block named NAME (### NAME); repeat for more
  --var NAME=VALUE     set a variable, as @NAME = VALUE would (wins over the file's); repeat for more
  --timeout S          stop after S seconds (default: until Ctrl+C)
  --json               one JSON object per line: serving, hit, unmatched, failed, done
Exit codes: 0 stopped (Ctrl+C or --timeout), 1 a server could not start or failed, 2 usage or syntax error.
`;

function parseServeArgs(argv: string[]) {
  const options = {
    block: { type: 'string', multiple: true },
    var: { type: 'string', multiple: true },
    timeout: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  } as const;
  const { values, positionals } = parseVerbArgs('serve', argv, options);
  if (values.help) return 'help';
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}" — serve takes one FILE.wire`);
  const vars = parseVars(values.var);
  return { ...readScript(positionals[0], 'serve'), vars, blocks: values.block, json: values.json, timeout: parseSeconds(values.timeout, '--timeout') };
}

export async function runServe(argv: string[], io: CliIo): Promise<number> {
  const o = readOptions('serve', serveUsage, io, () => parseServeArgs(argv));
  if (typeof o === 'number') return o;
  const { file, text, vars, json } = o;
  const emit = (x: object) => io.out(`${JSON.stringify(x)}\n`);
  const { wire, errors } = loadScript(file, text, vars);
  if (errors.length) {
    if (json) emit({ event: 'error', code: 'EUSAGE', file, errors: wire.diagnostics });
    else io.err(errors.map((e) => `${e}\n`).join(''));
    return 2;
  }
  let blocks;
  try {
    blocks = selectBlocks(wire, 'server', o.blocks, 'serve');
    if (blocks.length === 0) throw new UsageError(`${file} has no server block (one that starts with listen) — socket-lab run runs its client blocks`);
  } catch (e) {
    io.err(`socket-lab serve: ${describe(e).message}\n`);
    return 2;
  }
  const manager = new SessionManager({ transcriptBytes: 64 * 1024, closedChildrenKept: 0 });
  let served: ServedBlock[];
  try {
    served = await startServers(manager, wire, blocks, vars);
  } catch (e) {
    const d = describe(e);
    if (json) emit({ event: 'error', code: d.code, message: d.message });
    else io.err(`socket-lab serve: ${d.message}\n`);
    manager.dispose();
    return 1;
  }
  for (const s of served) {
    const label = blockLabel(s.block);
    if (json) emit({ event: 'serving', block: s.block.index, name: s.block.name, address: s.address, line: s.block.line });
    else io.out(`serving "${label}" on ${s.address} (line ${s.block.line})\n`);
    s.rules.onDidHit((h) => {
      const r = s.rules.rules[h.rule];
      if (json) emit({ event: 'hit', block: s.block.index, line: h.line, source: r.source, hits: h.hits });
      else io.out(`${label}: line ${h.line} ${r.source} (hit ${h.hits})\n`);
    });
    s.rules.onDidMiss((data) => {
      if (json) emit({ event: 'unmatched', block: s.block.index, bytes: data.length, text: decodeText(data.subarray(0, 256), s.rules.encoding), hex: formatHex(data.subarray(0, 256)) });
      else io.out(`${label}: no rule matched ${viewBytes(data, s.rules.encoding).text}\n`);
    });
    s.rules.onDidFail((f) => {
      if (json) emit({ event: 'failed', block: s.block.index, line: f.line, message: f.message });
      else io.err(`socket-lab serve: ${file}:${f.line}: ${f.message}\n`);
    });
  }
  const code = await new Promise<number>((resolve) => {
    let t: NodeJS.Timeout | undefined;
    const done = (c: number) => {
      if (t) clearTimeout(t);
      resolve(c);
    };
    if (o.timeout !== undefined) t = setTimeout(() => done(0), o.timeout * 1000);
    io.signal?.addEventListener('abort', () => done(0), { once: true });
    for (const s of served) {
      s.session.onDidChange(() => {
        if (!s.session.isAlive) {
          const why = s.session.error?.message ?? 'the socket closed';
          if (json) emit({ event: 'error', code: s.session.error?.code ?? 'ECLOSED', message: why });
          else io.err(`socket-lab serve: "${blockLabel(s.block)}": ${why}\n`);
          done(1);
        }
      });
    }
  });
  if (json) emit({ event: 'done', servers: served.map(servedJson) });
  else for (const s of served) io.out(`${hitsLine(s)}\n`);
  for (const s of served) s.rules.dispose();
  manager.dispose();
  return code;
}
