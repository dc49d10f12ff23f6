// A server block's rules as a session behaviour: each conversation matches what arrives against `on …` rules in
// order, answers (after a delay, in order) and counts each rule's hits. Sessions call it through RulesResponder.
import { Emitter } from '../../shared/disposable';
import { CodecError } from '../codec/codecError';
import { decodeText, encodeText } from '../codec/encoding';
import { encodeFrame, FrameDecoder, Framing } from '../codec/framing';
import type { RulesConversation, RulesOutput, RulesResponder } from '../sessions/session';
import type { WireBlock, WireFile, WirePayload, WireStep } from './wireParser';
import { evalTemplate, hexBytes, TemplateError, TemplateScope, textBytes } from './wireTemplates';

export type WireRule = Extract<WireStep, { kind: 'on' }>;

/** A variable's value: --var's as given, else the file's (its templates evaluated); undefined when neither has it. */
export function variableResolver(file: WireFile, overrides: ReadonlyMap<string, string> = new Map()): (name: string) => string | undefined {
  const cache = new Map<string, string>();
  const resolve = (name: string, depth: number): string | undefined => {
    const given = overrides.get(name);
    if (given !== undefined) return given;
    const known = cache.get(name);
    if (known !== undefined) return known;
    const v = file.variables.get(name);
    if (!v || depth > 32) return undefined; // the parser reports cycles; this only stops one it was not asked about
    const value = evalTemplate(v.value, { variable: (n) => resolve(n, depth + 1), counter: () => 0 });
    cache.set(name, value);
    return value;
  };
  return (name) => resolve(name, 0);
}

/** A block's settings as they stand after its last setting line (server blocks read them once). */
export function blockSettings(block: WireBlock): { encoding: string; framing: Framing; timeoutMs?: number } {
  let encoding = 'utf-8';
  let framing: Framing = { kind: 'raw' };
  let timeoutMs: number | undefined;
  for (const s of block.steps) {
    if (s.kind === 'encoding') encoding = s.encoding;
    else if (s.kind === 'framing') framing = s.framing;
    else if (s.kind === 'timeout') timeoutMs = s.ms;
  }
  return { encoding, framing, timeoutMs };
}

/** Bytes of payloads without templates, per encoding: a long script sends the same literal many times. */
const literalBytes = new WeakMap<object, Map<string, Uint8Array>>();

/** A payload's bytes (send file is read by the runner, not here). Callers must not change them (they may be shared). */
export function payloadBytes(p: WirePayload, scope: TemplateScope, encoding: string): Uint8Array {
  if (p.kind === 'file') throw new TemplateError('a file cannot be sent here', '这里不能发送文件', 1);
  const literal = p.parts.every((x) => x.kind === 'lit');
  const known = literal ? literalBytes.get(p.parts)?.get(encoding) : undefined;
  if (known) return known;
  const bytes = p.kind === 'text' ? textBytes(p.parts, scope, encoding) : hexBytes(p.parts, scope);
  if (literal) {
    let m = literalBytes.get(p.parts);
    if (!m) literalBytes.set(p.parts, (m = new Map()));
    m.set(encoding, bytes);
  }
  return bytes;
}

/** Bytes the text in front of them took, in `encoding` (how far a regex match reaches into the received bytes). */
export function byteLengthOf(text: string, encoding: string): number {
  return encoding === 'utf-8' || encoding === 'utf8' ? Buffer.byteLength(text, 'utf8') : encodeText(text, encoding).length;
}

export interface RuleHit {
  /** Index into `rules`, and the rule's line. */
  readonly rule: number;
  readonly line: number;
  readonly hits: number;
}

/** A rule's answer that could not be built (an unknown variable, a character the encoding lacks): it is skipped. */
export interface RuleFailure {
  readonly line: number;
  readonly message: string;
  readonly messageZh: string;
}

/** Bytes a raw stream's conversation keeps while a literal rule waits for the rest of its pattern. */
const maxPendingBytes = 1024 * 1024;

export class WireRules implements RulesResponder {
  readonly rules: readonly WireRule[];
  private readonly _hits: number[];
  /** Messages (or raw-stream bytes) no rule matched. */
  unmatched = 0;
  readonly encoding: string;
  readonly framing: Framing;
  private count = 0;
  private readonly _onDidHit = new Emitter<RuleHit>();
  readonly onDidHit = this._onDidHit.event;
  private readonly _onDidMiss = new Emitter<Uint8Array>();
  /** What no rule matched. */
  readonly onDidMiss = this._onDidMiss.event;
  private readonly _onDidFail = new Emitter<RuleFailure>();
  readonly onDidFail = this._onDidFail.event;
  private readonly conversations = new Set<RulesConversation>();
  /** Where the server listens (set by serveBlock), for {{local_host}} and {{local_port}} in its rules. */
  local?: { readonly host: string; readonly port: number };

  constructor(
    readonly block: WireBlock,
    private readonly variable: (name: string) => string | undefined,
  ) {
    this.rules = block.steps.filter((s): s is WireRule => s.kind === 'on');
    this._hits = this.rules.map(() => 0);
    const { encoding, framing } = blockSettings(block);
    this.encoding = encoding;
    this.framing = framing;
  }

  /** Hits per rule, in the order of `rules`. */
  get hits(): readonly number[] {
    return this._hits;
  }

  conversation(opts: { stream: boolean }): RulesConversation {
    const c = new Conversation(this, opts.stream);
    this.conversations.add(c);
    return c;
  }

  /** @internal a conversation's match */
  hit(i: number): void {
    this._hits[i]++;
    this._onDidHit.fire({ rule: i, line: this.rules[i].line, hits: this._hits[i] });
  }
  /** @internal */
  miss(data: Uint8Array): void {
    this.unmatched++;
    this._onDidMiss.fire(data);
  }
  /** @internal */
  fail(f: RuleFailure): void {
    this._onDidFail.fire(f);
  }
  /** @internal */
  scope(captures?: readonly (string | undefined)[]): TemplateScope {
    return { variable: this.variable, counter: () => ++this.count, captures, local: this.local };
  }
  /** @internal */
  forget(c: RulesConversation): void {
    this.conversations.delete(c);
  }

  dispose(): void {
    for (const c of [...this.conversations]) c.dispose();
    this._onDidHit.dispose();
    this._onDidMiss.dispose();
    this._onDidFail.dispose();
  }
}

class Conversation implements RulesConversation {
  private pending: Buffer = Buffer.alloc(0);
  private readonly decoder?: FrameDecoder;
  /** Answers go out one after another, each after its delay, so they keep the order of what they answer. */
  private chain: Promise<void> = Promise.resolve();
  /** Delays under way, each with its resolve: dispose ends them, so nothing waits on a closed conversation. */
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private disposed = false;

  constructor(
    private readonly set: WireRules,
    private readonly stream: boolean,
  ) {
    if (stream && set.framing.kind !== 'raw') this.decoder = new FrameDecoder(set.framing);
  }

  receive(data: Uint8Array, out: RulesOutput): void {
    if (this.disposed) return;
    if (!this.stream) return this.message(data, out);
    if (this.decoder) {
      let messages: Uint8Array[];
      try {
        messages = this.decoder.push(data);
      } catch (e) {
        if (!(e instanceof CodecError)) throw e;
        this.set.fail({ line: this.set.block.line, message: e.message, messageZh: e.messageZh });
        out.close();
        return;
      }
      for (const m of messages) this.message(m, out);
      return;
    }
    this.pending = this.pending.length ? Buffer.concat([this.pending, data]) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.scan(false, out);
  }

  end(out: RulesOutput): Promise<void> {
    if (this.decoder) for (const m of this.decoder.flush()) this.message(m, out);
    else if (this.pending.length) this.scan(true, out);
    return this.chain;
  }

  /** A whole message (a datagram, a line, a frame): the first rule that matches all of it answers. */
  private message(m: Uint8Array, out: RulesOutput): void {
    const rules = this.set.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      const matcher = r.matcher;
      if (matcher.kind === 'any') return this.act(i, undefined, out);
      if (matcher.kind === 'regex') {
        const found = matcher.regex.exec(decodeText(m, this.set.encoding));
        if (found) return this.act(i, [...found], out);
        continue;
      }
      const pat = this.pattern(i);
      if (pat && Buffer.compare(Buffer.from(m.buffer, m.byteOffset, m.byteLength), pat) === 0) return this.act(i, undefined, out);
    }
    this.set.miss(m);
  }

  /**
   * A raw stream: rules are tried on the bytes received so far, from the start. A literal rule the bytes are only the
   * beginning of waits for the rest (unless the peer finished); a regex matches the text received so far; any takes it
   * all. What no rule matches is dropped and counted.
   */
  private scan(final: boolean, out: RulesOutput): void {
    const rules = this.set.rules;
    while (this.pending.length) {
      let matched = false;
      for (let i = 0; i < rules.length && !matched; i++) {
        const matcher = rules[i].matcher;
        if (matcher.kind === 'any') {
          this.pending = Buffer.alloc(0);
          this.act(i, undefined, out);
          matched = true;
        } else if (matcher.kind === 'regex') {
          const text = decodeText(this.pending, this.set.encoding);
          const found = matcher.regex.exec(text);
          if (!found || found[0].length + found.index === 0) continue;
          this.pending = this.pending.subarray(Math.min(this.pending.length, byteLengthOf(text.slice(0, found.index + found[0].length), this.set.encoding)));
          this.act(i, [...found], out);
          matched = true;
        } else {
          const pat = this.pattern(i);
          if (!pat || pat.length === 0) continue;
          if (this.pending.length >= pat.length) {
            if (this.pending.subarray(0, pat.length).equals(pat)) {
              this.pending = this.pending.subarray(pat.length);
              this.act(i, undefined, out);
              matched = true;
            }
          } else if (!final && pat.subarray(0, this.pending.length).equals(this.pending) && this.pending.length < maxPendingBytes) {
            return; // the beginning of this rule's pattern: wait for the rest
          }
        }
      }
      if (!matched) {
        this.set.miss(this.pending);
        this.pending = Buffer.alloc(0);
      }
    }
  }

  /** A literal rule's bytes (templates evaluated now), or undefined when they cannot be built (said once). */
  private pattern(i: number): Buffer | undefined {
    const r = this.set.rules[i];
    const m = r.matcher;
    if (m.kind !== 'text' && m.kind !== 'hex') return undefined;
    try {
      const b = m.kind === 'text' ? textBytes(m.parts, this.set.scope(), this.set.encoding) : hexBytes(m.parts, this.set.scope());
      return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      this.failed(r, e);
      return undefined;
    }
  }

  private failed(r: WireRule, e: unknown): void {
    const err = e as { message?: string; messageZh?: string };
    this.set.fail({ line: r.line, message: err.message ?? String(e), messageZh: err.messageZh ?? err.message ?? String(e) });
  }

  private act(i: number, captures: string[] | undefined, out: RulesOutput): void {
    const r = this.set.rules[i];
    this.set.hit(i);
    let answer: Uint8Array | undefined;
    if (r.reply) {
      try {
        answer = payloadBytes(r.reply, this.set.scope(captures), this.set.encoding);
        if (this.stream) answer = encodeFrame(answer, this.set.framing);
      } catch (e) {
        this.failed(r, e);
        return;
      }
    }
    const delay = r.afterMs ?? 0;
    this.chain = this.chain.then(async () => {
      if (delay > 0) await this.sleep(delay);
      if (this.disposed) return;
      if (answer) out.send(answer);
      if (r.close) out.close();
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.set(t, resolve);
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const [t, resolve] of this.timers) {
      clearTimeout(t);
      resolve();
    }
    this.timers.clear();
    this.pending = Buffer.alloc(0);
    this.decoder?.release();
    this.set.forget(this);
  }
}
