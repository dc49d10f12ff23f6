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
import { LessonProcess, type LessonExit } from './lessonProcess';
import { chooseAddress, describeAddress, findFreePort, waitForServer, type LessonAddress } from './lessonRunner';

export interface CheckOptions {
  interpreter: PythonInterpreter;
  /** The learner's folder holding the lesson's programs (default: the lesson's own, which must pass). */
  dir?: string;
  /** How long the learner's program may run (default 20 s). */
  timeoutMs?: number;
  /** How long a server has to start listening (default 10 s). */
  listenTimeoutMs?: number;
  /** Cancels the check: the program is stopped at once and the result is `cancelled` (nothing judged). */
  signal?: AbortSignal;
  /** A server that finds its port taken is run once more on a free port (default true). */
  retryPortTaken?: boolean;
}

export interface CheckResult {
  readonly lesson: string;
  readonly exercise: string;
  readonly pass: boolean;
  /** What was checked and what was seen, one line each, in English and Chinese. */
  readonly evidence: readonly { readonly en: string; readonly 'zh-cn': string }[];
  /** The learner's program's output (its last 4 KiB). */
  readonly output: string;
  /** Whether the exercise was judged: false when it cannot be here (`unavailable`), the program is `missing`, or the check was `cancelled`. */
  readonly judged: boolean;
  /** Why this machine cannot judge the exercise (no capture here); then `pass` is false and nothing was judged. */
  readonly unavailable?: string;
  /** The program the exercise runs, not found in the folder: nothing ran (the evidence says to copy the lesson there first). */
  readonly missing?: string;
  /** The check was cancelled (its signal aborted): the program was stopped, nothing was judged. */
  readonly cancelled?: boolean;
}

const line = (en: string, zh: string) => ({ en, 'zh-cn': zh });
type Evidence = { en: string; 'zh-cn': string };

/** How long a program that was told to stop (a cancelled check) gets for its finally blocks before SIGKILL. */
const CANCEL_GRACE_MS = 500;

/** Resolves when `signal` aborts (at once when it already has); `dispose` lets go of the listener. */
function whenAborted(signal: AbortSignal | undefined): { promise: Promise<'aborted'>; dispose(): void } {
  if (!signal) return { promise: new Promise(() => undefined), dispose: () => undefined };
  if (signal.aborted) return { promise: Promise.resolve('aborted'), dispose: () => undefined };
  let onAbort!: () => void;
  const promise = new Promise<'aborted'>((r) => (onAbort = () => r('aborted')));
  signal.addEventListener('abort', onAbort, { once: true });
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/** How a program ended, as the end of a sentence: "ended with exit code 3", "was killed by SIGKILL". */
function howItEnded(e: LessonExit): Evidence {
  if (e.error) return line(`could not start (${e.error.message})`, `无法启动（${e.error.code}）`);
  if (e.reason === 'timeout') return line('was stopped after the time limit', '超过时间限制被停止');
  if (e.signal) return line(`was killed by ${e.signal}`, `被 ${e.signal} 杀死`);
  return line(`ended with exit code ${e.code}`, `以退出码 ${e.code} 结束`);
}

const printed = (output: string) => (output.trim() ? line('its output is below', '输出见下方') : line('it printed nothing', '它没有任何输出'));

/** LoopbackCapture's reasons (English only) in Chinese too; dumpcap's own words stay as it printed them. */
function captureWhyZh(why: string): string {
  if (why === 'a capture of lo is made on Linux only') return '只有在 Linux 上才能抓取 lo';
  if (why === 'dumpcap (Wireshark) is not installed') return '没有安装 dumpcap（Wireshark）';
  if (why === 'dumpcap did not start within 10 s') return 'dumpcap 没有在 10 秒内启动';
  const m = /^dumpcap cannot capture here: (.*)$/s.exec(why);
  return m ? `dumpcap 无法在这里抓包，它报告：${m[1]}` : `无法抓包：${why}`;
}

/**
 * An exercise's display filter with the run's values filled in: {{pid}} the started program's process id,
 * {{pid16}} its low 16 bits (pid & 0xFFFF, what a ping uses as its ICMP identifier), {{port}} the port it was given.
 * The filters name the program's own packets, so another program on the machine (another check) is not counted.
 */
export function expectFilter(filter: string, values: { pid: number; port?: string }): string {
  return filter.replace(/\{\{\s*(pid16|pid|port)\s*\}\}/g, (m, v: string) => (v === 'pid' ? String(values.pid) : v === 'pid16' ? String(values.pid & 0xffff) : (values.port ?? m)));
}

/** A checker line as the learner reads it: {{port}} and {{path}} filled in (the checker itself is not in their copy). */
const shown = (source: string, vars: ReadonlyMap<string, string>) => source.replace(/\{\{\s*(port|path)\s*\}\}/g, (m, v: string) => vars.get(v) ?? m);

/** One step's result as evidence: the step, and for a failure expected vs got (text and hex). */
function stepEvidence(r: WireStepResult, vars: ReadonlyMap<string, string>, why?: Evidence): Evidence[] {
  const mark = r.status === 'pass' ? '✓' : r.status === 'fail' ? '✗' : '-';
  const out = [line(`${mark} ${shown(r.source, vars)}`, `${mark} ${shown(r.source, vars)}`)];
  if (r.status === 'fail') {
    const m = why ?? line(r.message ?? '', r.messageZh ?? r.message ?? '');
    out.push(line(`  ${m.en}`, `  ${m['zh-cn']}`));
    const hex = (h?: string) => (h ? `  ${h}` : '');
    if (r.expected) out.push(line(`  expected ${r.expected.text}${hex(r.expected.hex)}`, `  期望 ${r.expected.textZh ?? r.expected.text}${hex(r.expected.hex)}`));
    if (r.got) out.push(line(`  got      ${r.got.text}${hex(r.got.hex)}`, `  实际 ${r.got.textZh ?? r.got.text}${hex(r.got.hex)}`));
  }
  return out;
}

/** A step failed on its connection (reset, refused, closed early): when the program ended, that is why. */
const connectionEnded = (r: WireStepResult) => r.code !== undefined && ['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ECONNABORTED', 'EOF'].includes(r.code);

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
      judged: false,
      missing: program?.path ?? x.run,
      evidence: [line(`${program?.path ?? x.run} is not in ${dir}: copy the lesson there first (Copy Lesson to Folder…).`, `${dir} 中没有 ${program?.path ?? x.run}：请先把课程复制到那里（“复制课程到文件夹…”）。`)],
      output: '',
    };
  }
  if (opts.signal?.aborted) return cancelledResult(lesson, x, '');
  if (x.run === 'program') return checkProgram(lesson, x, path.join(dir, program.path), dir, opts);
  const { file, namesZh } = checker(lesson, x);
  try {
    return await checkAt(lesson, x, dir, program.path, file, namesZh, await chooseAddress(lesson), opts);
  } catch (e) {
    // two checks of one lesson started together both found its port free: the second tries a port nobody holds
    if (!(e instanceof PortTakenError)) throw e;
    const port = await findFreePort(0, lesson.transport === 'udp' ? 'udp' : 'tcp');
    return checkAt(lesson, x, dir, program.path, file, namesZh, { port }, { ...opts, retryPortTaken: false });
  }
}

/** One run of a server or client exercise with the program on `address`. */
function checkAt(lesson: Lesson, x: LessonExercise, dir: string, programPath: string, file: WireFile, namesZh: ReadonlyMap<number, string>, address: LessonAddress, opts: CheckOptions): Promise<CheckResult> {
  const vars = new Map<string, string>();
  if (address.port !== undefined) vars.set('port', String(address.port));
  if (address.unixPath !== undefined) vars.set('path', address.unixPath);
  const start = () =>
    new LessonProcess({
      interpreter: opts.interpreter,
      file: path.join(dir, programPath),
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
  const evidence: Evidence[] = [];
  const proc = start();
  // a cancelled check stops the program at once, whatever the check is waiting for
  const aborted = whenAborted(opts.signal);
  void aborted.promise.then(() => proc.stop('stopped', CANCEL_GRACE_MS));
  try {
    const listenMs = opts.listenTimeoutMs ?? 10_000;
    const ready = await Promise.race([waitForServer(lesson, proc, address, listenMs).then(() => 'ready' as const, () => 'not ready' as const), aborted.promise]);
    if (ready === 'aborted') return cancelledResult(lesson, x, proc.output);
    if (ready === 'not ready') {
      const addr = describeAddress(address);
      const out = printed(proc.output);
      const exit = proc.exitInfo;
      const s = Math.round(listenMs / 1000);
      const byLine = lesson.ready === 'line' || lesson.transport === 'udp';
      if (exit?.error?.code === 'ENOENT') return noInterpreter(lesson, x, opts.interpreter.command, exit.error);
      if (exit && !exit.error && opts.retryPortTaken !== false && PORT_TAKEN.test(proc.output)) throw new PortTakenError();
      if (exit?.error) evidence.push(line(`Your server could not start (${exit.error.message}); ${out.en}.`, `你的服务器无法启动（${exit.error.code}）；${out['zh-cn']}。`));
      else if (exit) {
        const how = exit.signal ? line(`was killed by ${exit.signal}`, `被 ${exit.signal} 杀死了`) : line(`ended with exit code ${exit.code}`, `退出码为 ${exit.code}`);
        evidence.push(line(`Your server ${how.en} before it listened on ${addr}; ${out.en}.`, `你的服务器在 ${addr} 上开始监听之前就结束了，${how['zh-cn']}；${out['zh-cn']}。`));
      } else if (byLine) evidence.push(line(`Your server is still running but did not print "listening on ${addr}" within ${s} s; ${out.en}.`, `你的服务器仍在运行，但 ${s} 秒内没有打印“listening on ${addr}”；${out['zh-cn']}。`));
      else evidence.push(line(`Your server is still running but did not listen on ${addr} within ${s} s; ${out.en}.`, `你的服务器仍在运行，但 ${s} 秒内没有在 ${addr} 上监听；${out['zh-cn']}。`));
      return { lesson: lesson.id, exercise: x.id, pass: false, judged: true, evidence, output: proc.output };
    }
    let pass = true;
    const blocks = file.blocks.filter((b) => b.kind === 'client');
    const run = (block: WireBlock) => runClientBlock(file, block, { variables: vars, baseDir: lesson.dir, signal: opts.signal });
    const results = x.concurrent ? await Promise.all(blocks.map(run)) : undefined;
    for (const [i, block] of blocks.entries()) {
      const r = results ? results[i] : await run(block);
      if (opts.signal?.aborted) return cancelledResult(lesson, x, proc.output);
      // a block that failed because the server ended (killed, crashed) says so, not that "the peer reset the connection"
      // (only a failure on the connection: a server that ends after the checker closed, at a block's end, did not cause it)
      const failed = r.steps.find((s) => s.status === 'fail' && connectionEnded(s));
      const ended = failed ? (proc.exitInfo ?? (await Promise.race([proc.exited, new Promise<undefined>((res) => setTimeout(() => res(undefined), 500))]))) : undefined;
      const why = ended && ended.reason === undefined ? howItEnded(ended) : undefined;
      const endedLine = why && line(`Your server ended during the check: it ${why.en}, so the connection ended with it.`, `检查过程中你的服务器结束了：它${why['zh-cn']}，连接也随之结束。`);
      evidence.push(line(`### ${r.label}: ${r.status === 'pass' ? 'passed' : 'failed'}`, `### ${namesZh.get(block.line) ?? r.label}：${r.status === 'pass' ? '通过' : '未通过'}`));
      for (const s of r.steps) evidence.push(...stepEvidence(s, vars, s === failed ? endedLine : undefined));
      if (r.status !== 'pass') {
        pass = false;
        if (!results) break;
      }
    }
    return { lesson: lesson.id, exercise: x.id, pass, judged: true, evidence, output: proc.output };
  } finally {
    aborted.dispose();
    await proc.stop();
    proc.dispose();
  }
}

/** The interpreter could not be started at all (not installed, a wrong path): nothing of the learner's ran. */
function noInterpreter(lesson: Lesson, x: LessonExercise, interpreter: string, e: NonNullable<LessonExit['error']>): CheckResult {
  const en = `${interpreter} could not be started (${e.code ?? e.message}): install Python 3 or point Socket Lab at it (--python PATH, or the socketLab.pythonPath setting)`;
  const zh = `无法启动 ${interpreter}（${e.code ?? e.message}）：请安装 Python 3，或告诉 Socket Lab 它在哪里（--python PATH，或 socketLab.pythonPath 设置）`;
  return { lesson: lesson.id, exercise: x.id, pass: false, judged: false, unavailable: en, evidence: [line(`${en}.`, `${zh}。`)], output: '' };
}

/** A server that could not bind because another program holds the port: the check tries once more on a free port. */
class PortTakenError extends Error {}
const PORT_TAKEN = /Address already in use|EADDRINUSE|\[Errno 98\]|\[WinError 10048\]/;

function cancelledResult(lesson: Lesson, x: LessonExercise, output: string): CheckResult {
  return { lesson: lesson.id, exercise: x.id, pass: false, judged: false, cancelled: true, evidence: [line('The check was cancelled: nothing was judged.', '检查已取消：没有作出评判。')], output };
}

/** The checker's server blocks serve; the learner's client runs against them and must be answered by every rule. */
async function checkClient(lesson: Lesson, x: LessonExercise, file: WireFile, vars: Map<string, string>, start: () => LessonProcess, opts: CheckOptions): Promise<CheckResult> {
  const evidence: Evidence[] = [];
  const manager = new SessionManager({ transcriptBytes: 256 * 1024, closedChildrenKept: 10 });
  const served: ServedBlock[] = [];
  let proc: LessonProcess | undefined;
  const aborted = whenAborted(opts.signal);
  void aborted.promise.then(() => proc?.stop('stopped', CANCEL_GRACE_MS));
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
    const exit = await Promise.race([proc.exited, aborted.promise]);
    if (exit === 'aborted' || opts.signal?.aborted) return cancelledResult(lesson, x, proc.output);
    if (exit.error?.code === 'ENOENT') return noInterpreter(lesson, x, opts.interpreter.command, exit.error);
    let pass = exit.code === 0;
    if (exit.code !== 0 && missed.length === 0) {
      const how = howItEnded(exit);
      evidence.push(line(`Your client ${how.en}.`, `你的客户端${how['zh-cn']}。`));
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
    return { lesson: lesson.id, exercise: x.id, pass, judged: true, evidence, output: proc.output };
  } finally {
    aborted.dispose();
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
  const evidence: Evidence[] = [];
  const result = (pass: boolean, output: string, unavailable?: string): CheckResult => ({ lesson: lesson.id, exercise: x.id, pass, judged: !unavailable, evidence, output, ...(unavailable ? { unavailable } : {}) });
  const aborted = whenAborted(opts.signal);
  try {
    const capture = await LoopbackCapture.start(path.join(tmp, 'check.pcapng'), fill(x.capture ?? ''));
    if (typeof capture === 'string') {
      const why = `this exercise is judged from a capture of lo, and ${capture}`;
      evidence.push(line(`Not judged: ${why}.`, `无法评判：这个练习根据 lo 上的抓包来评判，而${captureWhyZh(capture)}。`));
      return result(false, '', why);
    }
    if (opts.signal?.aborted) {
      await capture.stop();
      return cancelledResult(lesson, x, '');
    }
    const proc = new LessonProcess({ interpreter: opts.interpreter, file, args: (x.args ?? []).map(fill), cwd: dir, env: { SOCKET_LAB_PORT: port }, timeoutMs: opts.timeoutMs ?? 20_000, maxOutput: 4096 });
    const pid = proc.pid;
    let exit;
    try {
      exit = await Promise.race([proc.exited, aborted.promise]);
    } finally {
      await proc.stop('stopped', exit === 'aborted' ? CANCEL_GRACE_MS : undefined);
      proc.dispose();
      await capture.stop();
    }
    if (exit === 'aborted') return cancelledResult(lesson, x, proc.output);
    let pass = exit.code === 0;
    if (exit.code !== 0) evidence.push(line(`Your program ${howItEnded(exit).en}.`, `你的程序${howItEnded(exit)['zh-cn']}。`));
    const packets = await capture.packets();
    for (const e of x.expect ?? []) {
      // the program's own packets: {{pid}} in a filter is the program's process id (none when it did not start)
      const usesPid = /\{\{\s*pid(16)?\s*\}\}/.test(e.filter);
      const filter = expectFilter(e.filter, { pid: pid ?? 0, port });
      const test = compileFilter(filter);
      const n = usesPid && pid === undefined ? 0 : packets.filter((p) => test(p)).length;
      const ok = n >= (e.min ?? 1) && (e.max === undefined || n <= e.max);
      if (!ok) pass = false;
      const want = e.max === undefined ? `at least ${e.min ?? 1}` : e.min === e.max ? `exactly ${e.max}` : `${e.min ?? 0} to ${e.max}`;
      const wantZh = e.max === undefined ? `至少 ${e.min ?? 1} 个` : e.min === e.max ? `正好 ${e.max} 个` : `${e.min ?? 0} 到 ${e.max} 个`;
      evidence.push(line(`${ok ? '✓' : '✗'} ${e.what.en}: ${n} ${n === 1 ? 'packet matches' : 'packets match'} ${filter} (wanted ${want})`, `${ok ? '✓' : '✗'} ${e.what['zh-cn']}：${n} 个数据包匹配 ${filter}（需要${wantZh}）`));
    }
    return result(pass, proc.output);
  } finally {
    aborted.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
