// Check My Solution: runs a learner's copy of a lesson program against the exercise's .wire checker on loopback and
// answers pass or fail with the evidence (which step, which bytes, what was expected). No vscode here.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileFilter } from '../decode/displayFilter';
import { LoopbackCapture } from '../capture/loopbackCapture';
import { SessionManager } from '../sessions/sessionManager';
import { parseWire, type WireBlock, type WireFile } from '../wire/wireParser';
import { runClientBlock, serveBlock, viewBytes, type ServedBlock, type WireStepResult } from '../wire/wireRunner';
import type { PythonInterpreter } from './interpreter';
import { mainFile, type Lesson, type LessonExercise, type LessonLanguage } from './lessonCatalog';
import { LessonProcess } from './lessonProcess';
import { chooseAddress, describeAddress, findFreePort, waitForServer, type LessonAddress } from './lessonRunner';

export interface CheckOptions {
  interpreter: PythonInterpreter;
  /** The learner's folder holding the lesson's programs (default: the lesson's own, which must pass). */
  dir?: string;
  /** How long the learner's program may run (default 20 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CheckResult {
  readonly lesson: string;
  readonly exercise: string;
  readonly pass: boolean;
  /** What was checked and what was seen, one line each, in English and Chinese. */
  readonly evidence: readonly { readonly en: string; readonly 'zh-cn': string }[];
  /** The learner's program's output (its last 4 KiB). */
  readonly output: string;
  /** Why this machine cannot judge the exercise (no capture here); then `pass` is false and nothing was judged. */
  readonly unavailable?: string;
}

const line = (en: string, zh: string) => ({ en, 'zh-cn': zh });

/** A checker line as the learner reads it: {{port}} and {{path}} filled in (the checker itself is not in their copy). */
const shown = (source: string, vars: ReadonlyMap<string, string>) => source.replace(/\{\{\s*(port|path)\s*\}\}/g, (m, v: string) => vars.get(v) ?? m);

/** One step's result as evidence: the step, and for a failure expected vs got (text and hex). */
function stepEvidence(r: WireStepResult, vars: ReadonlyMap<string, string>): { en: string; 'zh-cn': string }[] {
  const mark = r.status === 'pass' ? '✓' : r.status === 'fail' ? '✗' : '-';
  const out = [line(`${mark} ${shown(r.source, vars)}`, `${mark} ${shown(r.source, vars)}`)];
  if (r.status === 'fail') {
    out.push(line(`  ${r.message ?? ''}`, `  ${r.messageZh ?? r.message ?? ''}`));
    if (r.expected) out.push(line(`  expected ${r.expected.text}${r.expected.hex ? `  ${r.expected.hex}` : ''}`, `  期望 ${r.expected.text}${r.expected.hex ? `  ${r.expected.hex}` : ''}`));
    if (r.got) out.push(line(`  got      ${r.got.text}  ${r.got.hex}`, `  实际 ${r.got.text}  ${r.got.hex}`));
  }
  return out;
}

/**
 * Blocks' Chinese names, by the line of their ###: a lesson checker writes `# zh-cn: …` on the line right after a
 * block's ### (a comment to the wire parser, which stays as it is), so a zh-cn report need not show English headings.
 */
export function blockNamesZh(text: string): Map<number, string> {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const names = new Map<number, string>();
  lines.forEach((l, i) => {
    const zh = /^\s*###/.test(l) ? /^\s*#\s*zh-cn:\s*(.*\S)\s*$/.exec(lines[i + 1] ?? '') : null;
    if (zh) names.set(i + 1, zh[1]);
  });
  return names;
}

function checker(lesson: Lesson, x: LessonExercise): { file: WireFile; namesZh: Map<number, string> } {
  const text = fs.readFileSync(path.join(lesson.dir, x.check ?? ''), 'utf8');
  const file = parseWire(text, { variables: ['port', 'path'] });
  if (file.diagnostics.length) {
    const d = file.diagnostics[0];
    throw new Error(`${x.check}:${d.line}:${d.column}: ${d.message}`);
  }
  return { file, namesZh: blockNamesZh(text) };
}

/** Runs exercise `x` of `lesson` against the programs in `opts.dir`. */
export async function checkExercise(lesson: Lesson, x: LessonExercise, opts: CheckOptions): Promise<CheckResult> {
  const dir = opts.dir ?? lesson.dir;
  const program = x.run === 'program' ? lesson.files.find((f) => f.path === x.program) : mainFile(lesson, x.run);
  if (!program || !fs.existsSync(path.join(dir, program.path))) {
    return {
      lesson: lesson.id,
      exercise: x.id,
      pass: false,
      evidence: [line(`${program?.path ?? x.run} is not in ${dir}: copy the lesson there first (Copy Lesson to Folder…).`, `${dir} 中没有 ${program?.path ?? x.run}：请先把课程复制到那里（“复制课程到文件夹…”）。`)],
      output: '',
    };
  }
  if (x.run === 'program') return checkProgram(lesson, x, path.join(dir, program.path), dir, opts);
  const { file, namesZh } = checker(lesson, x);
  const address = await chooseAddress(lesson);
  const vars = new Map<string, string>();
  if (address.port !== undefined) vars.set('port', String(address.port));
  if (address.unixPath !== undefined) vars.set('path', address.unixPath);
  const start = () =>
    new LessonProcess({
      interpreter: opts.interpreter,
      file: path.join(dir, program.path),
      args: [address.unixPath ?? String(address.port ?? ''), ...(x.args ?? [])].filter((a) => a !== ''),
      cwd: dir,
      env: { ...(address.port !== undefined ? { SOCKET_LAB_PORT: String(address.port) } : {}), ...(address.unixPath ? { SOCKET_LAB_UNIX_PATH: address.unixPath } : {}) },
      timeoutMs: opts.timeoutMs ?? 20_000,
      maxOutput: 4096,
    });
  return x.run === 'server' ? checkServer(lesson, x, file, namesZh, vars, address, start, opts) : checkClient(lesson, x, file, vars, start, opts);
}

/**
 * The learner's server runs; the checker's client blocks talk to it, in order (the first failure ends the check), or
 * all at once when the exercise is `concurrent` (every block runs to its end; the evidence keeps the blocks' order).
 */
async function checkServer(lesson: Lesson, x: LessonExercise, file: WireFile, namesZh: ReadonlyMap<number, string>, vars: Map<string, string>, address: LessonAddress, start: () => LessonProcess, opts: CheckOptions): Promise<CheckResult> {
  const evidence: { en: string; 'zh-cn': string }[] = [];
  const proc = start();
  try {
    try {
      await waitForServer(lesson, proc, address, 10_000);
    } catch {
      evidence.push(line(`Your server did not start listening on ${describeAddress(address)}; its output is below.`, `你的服务器没有在 ${describeAddress(address)} 上开始监听；输出见下方。`));
      return { lesson: lesson.id, exercise: x.id, pass: false, evidence, output: proc.output };
    }
    let pass = true;
    const blocks = file.blocks.filter((b) => b.kind === 'client');
    const run = (block: WireBlock) => runClientBlock(file, block, { variables: vars, baseDir: lesson.dir, signal: opts.signal });
    const results = x.concurrent ? await Promise.all(blocks.map(run)) : undefined;
    for (const [i, block] of blocks.entries()) {
      const r = results ? results[i] : await run(block);
      evidence.push(line(`### ${r.label}: ${r.status === 'pass' ? 'passed' : 'failed'}`, `### ${namesZh.get(block.line) ?? r.label}：${r.status === 'pass' ? '通过' : '未通过'}`));
      for (const s of r.steps) evidence.push(...stepEvidence(s, vars));
      if (r.status !== 'pass') {
        pass = false;
        if (!results) break;
      }
    }
    return { lesson: lesson.id, exercise: x.id, pass, evidence, output: proc.output };
  } finally {
    await proc.stop();
    proc.dispose();
  }
}

/** The checker's server blocks serve; the learner's client runs against them and must be answered by every rule. */
async function checkClient(lesson: Lesson, x: LessonExercise, file: WireFile, vars: Map<string, string>, start: () => LessonProcess, opts: CheckOptions): Promise<CheckResult> {
  const evidence: { en: string; 'zh-cn': string }[] = [];
  const manager = new SessionManager({ transcriptBytes: 256 * 1024, closedChildrenKept: 10 });
  const served: ServedBlock[] = [];
  let proc: LessonProcess | undefined;
  try {
    for (const b of file.blocks.filter((k): k is WireBlock => k.kind === 'server')) served.push(await serveBlock(manager, file, b, { variables: vars }));
    // bytes no rule expects end the check at once (the client would wait for an answer that never comes)
    const missed: Uint8Array[] = [];
    for (const s of served) {
      s.rules.onDidMiss((data) => {
        missed.push(data);
        void proc?.stop();
      });
    }
    proc = start();
    const exit = await Promise.race([proc.exited, new Promise<undefined>((r) => opts.signal?.addEventListener('abort', () => r(undefined), { once: true }))]);
    let pass = exit !== undefined && exit.code === 0;
    if (!exit) evidence.push(line('The check was cancelled.', '检查已取消。'));
    else if (exit.code !== 0 && missed.length === 0) {
      const how = exit.reason === 'timeout' ? 'was stopped after the time limit' : exit.error ? `could not start: ${exit.error.message}` : `ended with exit code ${exit.code ?? exit.signal}`;
      const howZh = exit.reason === 'timeout' ? '超过时间限制被停止' : exit.error ? `无法启动：${exit.error.message}` : `以退出码 ${exit.code ?? exit.signal} 结束`;
      evidence.push(line(`Your client ${how}.`, `你的客户端${howZh}。`));
    }
    for (const s of served) {
      s.rules.rules.forEach((rule, i) => {
        const hits = s.rules.hits[i];
        const anyRule = rule.matcher.kind === 'any';
        const ok = hits > 0 || anyRule;
        if (!ok) pass = false;
        const src = shown(rule.source, vars);
        evidence.push(line(`${ok ? '✓' : '✗'} ${src} — answered ${hits}×${ok ? '' : ' (your client never sent what it waits for)'}`, `${ok ? '✓' : '✗'} ${src}——应答 ${hits} 次${ok ? '' : '（你的客户端从未发送它等待的内容）'}`));
      });
    }
    const encoding = served[0]?.rules.encoding ?? 'utf-8';
    for (const data of missed.slice(0, 3)) {
      pass = false;
      const v = viewBytes(data, encoding);
      evidence.push(line(`✗ your client sent ${v.text} (${v.hex}): no rule of the exercise expects it.`, `✗ 你的客户端发送了 ${v.text}（${v.hex}）：练习的规则都不期望它。`));
    }
    // what the client sent in all, so a mismatch is seen in its context ("ping\n" rather than a lone "\n")
    if (!pass) {
      const sent = Buffer.concat(manager.all().flatMap((s) => s.transcript.chunks().filter((c) => c.dir === 'in').map((c) => s.transcript.chunkData(c.seq) ?? new Uint8Array(0))));
      const v = viewBytes(sent, encoding);
      evidence.push(line(`  everything your client sent: ${v.text}`, `  你的客户端发送的全部内容：${v.text}`));
    }
    return { lesson: lesson.id, exercise: x.id, pass, evidence, output: proc.output };
  } finally {
    if (proc) {
      await proc.stop();
      proc.dispose();
    }
    for (const s of served) s.dispose();
    manager.dispose();
  }
}

/** The result in one language, for a notification or the CLI; `withOutput`: the program's output after a failure. */
export function checkReport(r: CheckResult, lang: LessonLanguage, withOutput = false): string {
  const out = withOutput && !r.pass && r.output.trim() ? [lang === 'zh-cn' ? '你的程序的输出：' : 'Output of your program:', r.output.trimEnd()] : [];
  const head = r.pass
    ? lang === 'zh-cn' ? `练习 ${r.exercise}（${r.lesson}）：通过。` : `Exercise ${r.exercise} of ${r.lesson}: passed.`
    : lang === 'zh-cn' ? `练习 ${r.exercise}（${r.lesson}）：未通过。` : `Exercise ${r.exercise} of ${r.lesson}: not passed.`;
  return [head, ...r.evidence.map((e) => e[lang]), ...out].join('\n');
}

/** A program without a peer (a ping, a demo) runs while lo is captured; its packets must match the exercise's filters. */
async function checkProgram(lesson: Lesson, x: LessonExercise, file: string, dir: string, opts: CheckOptions): Promise<CheckResult> {
  const port = String(await findFreePort(0));
  const fill = (s: string) => s.replace(/\{\{\s*port\s*\}\}/g, port);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-lab-check-'));
  const evidence: { en: string; 'zh-cn': string }[] = [];
  const result = (pass: boolean, output: string, unavailable?: string): CheckResult => ({ lesson: lesson.id, exercise: x.id, pass, evidence, output, ...(unavailable ? { unavailable } : {}) });
  try {
    const capture = await LoopbackCapture.start(path.join(tmp, 'check.pcapng'), fill(x.capture ?? ''));
    if (typeof capture === 'string') {
      const why = `this exercise is judged from a capture of lo, and ${capture}`;
      evidence.push(line(`Not judged: ${why}.`, `无法评判：${why}。`));
      return result(false, '', why);
    }
    const proc = new LessonProcess({ interpreter: opts.interpreter, file, args: (x.args ?? []).map(fill), cwd: dir, env: { SOCKET_LAB_PORT: port }, timeoutMs: opts.timeoutMs ?? 20_000, maxOutput: 4096 });
    let exit;
    try {
      exit = await Promise.race([proc.exited, new Promise<undefined>((r) => opts.signal?.addEventListener('abort', () => r(undefined), { once: true }))]);
    } finally {
      await proc.stop();
      proc.dispose();
      await capture.stop();
    }
    let pass = exit?.code === 0;
    if (!exit) evidence.push(line('The check was cancelled.', '检查已取消。'));
    else if (exit.code !== 0) evidence.push(line(`Your program ended with exit code ${exit.code ?? exit.signal}.`, `你的程序以退出码 ${exit.code ?? exit.signal} 结束。`));
    const packets = await capture.packets();
    for (const e of x.expect ?? []) {
      const test = compileFilter(e.filter);
      const n = packets.filter((p) => test(p)).length;
      const ok = n >= (e.min ?? 1) && (e.max === undefined || n <= e.max);
      if (!ok) pass = false;
      const want = e.max === undefined ? `at least ${e.min ?? 1}` : e.min === e.max ? `exactly ${e.max}` : `${e.min ?? 0} to ${e.max}`;
      const wantZh = e.max === undefined ? `至少 ${e.min ?? 1} 个` : e.min === e.max ? `正好 ${e.max} 个` : `${e.min ?? 0} 到 ${e.max} 个`;
      evidence.push(line(`${ok ? '✓' : '✗'} ${e.what.en}: ${n} ${n === 1 ? 'packet matches' : 'packets match'} ${e.filter} (wanted ${want})`, `${ok ? '✓' : '✗'} ${e.what['zh-cn']}：${n} 个数据包匹配 ${e.filter}（需要${wantZh}）`));
    }
    return result(pass, proc.output);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
