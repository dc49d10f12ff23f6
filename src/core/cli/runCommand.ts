// `socket-lab run FILE.wire [--block NAME …] [--var name=value …] [--json] [--junit FILE] [--timeout S]`
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SessionManager } from '../sessions/sessionManager';
import { blockLabel, parseWire, WireBlock, WireFile } from '../wire/wireParser';
import { runClientBlock, ServedBlock, serveBlock, WireBlockResult, WireStepResult } from '../wire/wireRunner';
import { CliIo, describe, parseSeconds, parseVerbArgs, readOptions, UsageError } from './cliIo';

export const runUsage = `Usage: socket-lab run FILE.wire [options]
  FILE.wire            a wire script (docs/wire-format.md): its client blocks run in order, while its server
                       blocks serve for the duration of the run (so one file can test itself)
  --block NAME         run only the client block named NAME (### NAME); repeat for more
  --var NAME=VALUE     set a variable, as @NAME = VALUE would (wins over the file's); repeat for more
  --json               print one JSON object: ok, each block's steps (line, status, ms, expected, got), summary
  --junit FILE         also write a JUnit XML report there (one test case per client block), for CI
  --timeout S          stop the whole run after S seconds: the step under way fails, the rest are skipped
Exit codes: 0 every step passed, 1 a step failed (or a server block could not start), 2 usage or syntax error.
`;

/** Scripts are written by hand: a larger file is a mistake (a capture, a binary) rather than a script. */
const maxScriptBytes = 4 * 1024 * 1024;

/** --var NAME=VALUE, each checked. */
export function parseVars(given: readonly string[] | undefined): Map<string, string> {
  const vars = new Map<string, string>();
  for (const v of given ?? []) {
    const eq = v.indexOf('=');
    const name = eq < 0 ? v : v.slice(0, eq);
    if (eq < 0 || !/^[A-Za-z_][\w.-]*$/.test(name)) throw new UsageError(`--var wants NAME=VALUE (a name of letters, digits, _ . -), got "${v}"`);
    vars.set(name, v.slice(eq + 1));
  }
  return vars;
}

/** The script's text, or a usage mistake (no such file, a folder, too large). */
export function readScript(file: string | undefined, verb: string): { file: string; text: string } {
  if (file === undefined) throw new UsageError(`missing FILE.wire (try socket-lab ${verb} --help)`);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new UsageError(`no file at ${file}`);
  }
  if (!st.isFile()) throw new UsageError(`${file} is not a file — give a .wire script`);
  if (st.size > maxScriptBytes) throw new UsageError(`${file} has ${st.size} bytes — a wire script is at most ${maxScriptBytes}`);
  const bytes = fs.readFileSync(file);
  // a script is UTF-8 text: NUL bytes or bytes UTF-8 cannot read mean a binary file given by mistake
  if (bytes.includes(0)) throw new UsageError(`${file} is not a text file (it holds NUL bytes) — a wire script is UTF-8 text`);
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD') && !bytes.includes(Buffer.from('\uFFFD'))) throw new UsageError(`${file} is not UTF-8 text — save the wire script as UTF-8`);
  return { file, text };
}

/** Mistakes printed at most (--json has them all): a binary file passed by mistake must not flood the terminal. */
const MAX_ERROR_LINES = 20;

/** The script parsed; its mistakes as FILE:LINE:COLUMN lines (then the verb exits 2). */
export function loadScript(file: string, text: string, vars: ReadonlyMap<string, string>): { wire: WireFile; errors: string[] } {
  const wire = parseWire(text, { variables: vars.keys() });
  const errors = wire.diagnostics.slice(0, MAX_ERROR_LINES).map((d) => `${file}:${d.line}:${d.column}: ${d.message}`);
  const more = wire.diagnostics.length - errors.length;
  if (more > 0) errors.push(`… and ${more} more mistake${more === 1 ? '' : 's'} (--json lists them all)`);
  return { wire, errors };
}

/** The blocks of `kind` that --block names (all of them without --block); an unknown name is a usage mistake. */
export function selectBlocks(wire: WireFile, kind: 'client' | 'server', names: readonly string[] | undefined, verb: string): WireBlock[] {
  const ofKind = wire.blocks.filter((b) => b.kind === kind);
  if (!names?.length) return ofKind;
  return names.map((n) => {
    const b = ofKind.find((x) => x.name === n);
    if (b) return b;
    const other = wire.blocks.find((x) => x.name === n);
    if (other) throw new UsageError(`block "${n}" (line ${other.line}) is not a ${kind} block — socket-lab ${verb} --block takes ${kind === 'client' ? 'blocks that start with connect' : 'blocks that start with listen'}`);
    const known = ofKind.filter((x) => x.name !== undefined).map((x) => `"${x.name}"`);
    throw new UsageError(`no ${kind} block named "${n}"${known.length ? ` — the file has ${known.join(', ')}` : ''}`);
  });
}

/** Starts the file's server blocks; on a failure the ones already started stop, and the error says which block. */
export async function startServers(manager: SessionManager, wire: WireFile, blocks: WireBlock[], vars: ReadonlyMap<string, string>): Promise<ServedBlock[]> {
  const served: ServedBlock[] = [];
  for (const b of blocks) {
    try {
      served.push(await serveBlock(manager, wire, b, { variables: vars }));
    } catch (e) {
      for (const s of served) s.dispose();
      throw Object.assign(new Error(`server block "${blockLabel(b)}" (line ${b.line}): ${describe(e).message}`), { code: describe(e).code });
    }
  }
  return served;
}

/** A served block's rules and how often each was hit, as one line. */
export function hitsLine(s: ServedBlock): string {
  const parts = s.rules.rules.map((r, i) => `line ${r.line} ×${s.rules.hits[i]}${s.rules.hits[i] === 0 ? ' (never matched)' : ''}`);
  const missed = s.rules.unmatched ? `; ${s.rules.unmatched} unmatched` : '';
  return `rules of "${blockLabel(s.block)}": ${parts.join(', ') || 'none'}${missed}`;
}

export function servedJson(s: ServedBlock): object {
  return {
    block: s.block.index,
    name: s.block.name,
    address: s.address,
    rules: s.rules.rules.map((r, i) => ({ line: r.line, source: r.source, hits: s.rules.hits[i] })),
    unmatched: s.rules.unmatched,
  };
}

function parseRunArgs(argv: string[]) {
  const options = {
    block: { type: 'string', multiple: true },
    var: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
    junit: { type: 'string' },
    timeout: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  const { values, positionals } = parseVerbArgs('run', argv, options);
  if (values.help) return 'help';
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}" — run takes one FILE.wire`);
  const vars = parseVars(values.var);
  const script = readScript(positionals[0], 'run');
  if (values.junit !== undefined) {
    const dir = path.dirname(path.resolve(values.junit));
    if (!fs.existsSync(dir)) throw new UsageError(`--junit ${values.junit}: no folder ${dir}`);
  }
  return { ...script, vars, blocks: values.block, json: values.json, junit: values.junit, timeout: parseSeconds(values.timeout, '--timeout') };
}

const mark = { pass: '✓', fail: '✗', skip: '-' } as const;

/** One step as a line (and, when it failed, why, expected vs got, and where). */
export function stepLines(file: string, r: WireStepResult): string {
  const time = r.status === 'skip' ? 'skipped' : `${Math.round(r.ms)} ms`;
  let s = `  ${mark[r.status]} ${String(r.line).padStart(3)}  ${r.source}  (${time})\n`;
  if (r.status !== 'fail') return s;
  if (r.message) s += `        ${r.message}\n`;
  if (r.expected) s += `        expected  ${r.expected.text}${r.expected.hex !== undefined ? `   ${r.expected.hex}` : ''}\n`;
  if (r.got) s += `        got       ${r.got.text}   ${r.got.hex}\n`;
  else if (r.expected) s += '        got       nothing\n';
  s += `        at ${file}:${r.line}:${r.column}\n`;
  return s;
}

export function summarize(results: readonly WireBlockResult[], ms: number): { passed: number; failed: number; skipped: number; failedBlocks: number; line: string } {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const b of results) {
    for (const s of b.steps) {
      if (s.status === 'pass') passed++;
      else if (s.status === 'fail') failed++;
      else skipped++;
    }
  }
  const failedBlocks = results.filter((b) => b.status === 'fail').length;
  const head = failedBlocks ? `${failedBlocks} of ${results.length} block${results.length === 1 ? '' : 's'} failed` : `${results.length} block${results.length === 1 ? '' : 's'} passed`;
  return { passed, failed, skipped, failedBlocks, line: `${head}: ${passed} step${passed === 1 ? '' : 's'} passed, ${failed} failed, ${skipped} skipped (${Math.round(ms)} ms)` };
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, ''); // eslint-disable-line no-control-regex

/** JUnit XML as CI servers read it: one suite per script, one test case per client block. */
export function junitXml(file: string, results: readonly WireBlockResult[], ms: number): string {
  const failures = results.filter((b) => b.status === 'fail').length;
  const cases = results.map((b) => {
    const f = b.steps.find((s) => s.status === 'fail');
    const open = `    <testcase classname="${xml(path.basename(file))}" name="${xml(b.label)}" time="${(b.ms / 1000).toFixed(3)}"`;
    if (!f) return `${open}/>`;
    const body = stepLines(file, f).trimEnd();
    return `${open}>\n      <failure message="${xml(`line ${f.line}: ${f.message ?? 'failed'}`)}" type="${xml(f.kind)}">${xml(body)}</failure>\n    </testcase>`;
  });
  const time = (ms / 1000).toFixed(3);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="socket-lab run" tests="${results.length}" failures="${failures}" time="${time}">\n  <testsuite name="${xml(file)}" tests="${results.length}" failures="${failures}" errors="0" skipped="0" time="${time}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

/** An abort signal that fires when any of `signals` does, with its reason. */
export function anySignal(signals: (AbortSignal | undefined)[]): AbortSignal {
  const ac = new AbortController();
  for (const s of signals) {
    if (!s) continue;
    if (s.aborted) ac.abort(s.reason);
    else s.addEventListener('abort', () => ac.abort(s.reason), { once: true });
  }
  return ac.signal;
}

export async function runRun(argv: string[], io: CliIo): Promise<number> {
  const o = readOptions('run', runUsage, io, () => parseRunArgs(argv));
  if (typeof o === 'number') return o;
  const { file, text, vars, json } = o;
  const { wire, errors } = loadScript(file, text, vars);
  if (errors.length) {
    if (json) io.out(`${JSON.stringify({ ok: false, file, errors: wire.diagnostics })}\n`);
    else io.err(errors.map((e) => `${e}\n`).join(''));
    return 2;
  }
  let clients: WireBlock[];
  try {
    clients = selectBlocks(wire, 'client', o.blocks, 'run');
    if (clients.length === 0) throw new UsageError(`${file} has no client block (one that starts with connect) — socket-lab serve serves its server blocks`);
  } catch (e) {
    io.err(`socket-lab run: ${describe(e).message}\n`);
    return 2;
  }
  const started = performance.now();
  const manager = new SessionManager({ transcriptBytes: 64 * 1024, closedChildrenKept: 0 });
  let served: ServedBlock[];
  try {
    served = await startServers(manager, wire, wire.blocks.filter((b) => b.kind === 'server'), vars);
  } catch (e) {
    manager.dispose();
    const d = describe(e);
    if (json) io.out(`${JSON.stringify({ ok: false, file, code: d.code, message: d.message })}\n`);
    else io.err(`socket-lab run: ${d.message}\n`);
    return 1;
  }
  if (!json) for (const s of served) io.out(`serving "${blockLabel(s.block)}" on ${s.address} (line ${s.block.line})\n`);
  const timer = new AbortController();
  const t = o.timeout !== undefined ? setTimeout(() => timer.abort({ message: `the run took longer than --timeout ${o.timeout} s`, messageZh: `运行时间超过了 --timeout ${o.timeout} 秒` }), o.timeout * 1000) : undefined;
  const signal = anySignal([io.signal, timer.signal]);
  const results: WireBlockResult[] = [];
  try {
    for (const b of clients) {
      if (!json) io.out(`### ${blockLabel(b)} (line ${b.line})\n`);
      results.push(
        await runClientBlock(wire, b, {
          variables: vars,
          baseDir: path.dirname(path.resolve(file)),
          signal,
          onStep: (r) => {
            if (!json) io.out(stepLines(file, r));
          },
        }),
      );
    }
  } finally {
    if (t) clearTimeout(t);
  }
  const ms = performance.now() - started;
  const sum = summarize(results, ms);
  if (json) {
    io.out(`${JSON.stringify({ ok: sum.failedBlocks === 0, file, blocks: results, servers: served.map(servedJson), summary: { blocks: results.length, failedBlocks: sum.failedBlocks, passed: sum.passed, failed: sum.failed, skipped: sum.skipped, ms: Math.round(ms) } })}\n`);
  } else {
    for (const s of served) io.out(`${hitsLine(s)}\n`);
    io.out(`${sum.line}\n`);
  }
  for (const s of served) s.dispose();
  manager.dispose();
  if (o.junit !== undefined) {
    try {
      fs.writeFileSync(o.junit, junitXml(file, results, ms));
    } catch (e) {
      io.err(`socket-lab run: could not write ${o.junit}: ${describe(e).message}\n`);
      return 1;
    }
  }
  return sum.failedBlocks ? 1 : 0;
}
