// One small request/response layer over any message channel (webview postMessage, helper stdio frames).
// Modelled on vscode-hexeditor's MessageHandler, plus: a handler that throws answers with an error,
// requests time out, and dispose() rejects everything still waiting.

export interface RpcRequest<T = unknown> { readonly kind: 'req'; readonly id: number; readonly body: T }
export interface RpcResponse<R = unknown> { readonly kind: 'res'; readonly id: number; readonly body?: R; readonly error?: string }
export interface RpcEvent<T = unknown> { readonly kind: 'evt'; readonly body: T }
export type RpcEnvelope = RpcRequest | RpcResponse | RpcEvent;

export class RpcError extends Error {
  constructor(message: string, readonly code: 'timeout' | 'disposed' | 'remote') {
    super(message);
  }
}

interface Pending { resolve(v: unknown): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }

export function isRpcEnvelope(m: unknown): m is RpcEnvelope {
  if (typeof m !== 'object' || m === null) return false;
  const e = m as Record<string, unknown>;
  if (e.kind === 'evt') return 'body' in e;
  if (e.kind === 'req') return Number.isSafeInteger(e.id) && 'body' in e;
  if (e.kind === 'res') return Number.isSafeInteger(e.id) && (e.error === undefined || typeof e.error === 'string');
  return false;
}

/**
 * `Req` is what this side asks, `Res` what it gets back, `Evt` what it is told.
 * `onRequest` answers the other side's requests; `onEvent` receives its events.
 */
export class Rpc<Out, In> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed = false;

  constructor(
    private readonly post: (m: RpcEnvelope) => void,
    private readonly handlers: {
      onRequest?: (body: In) => unknown | Promise<unknown>;
      onEvent?: (body: In) => void;
      /** Validates every incoming body; invalid ones are dropped and reported. */
      validate?: (body: unknown) => body is In;
      onInvalid?: (raw: unknown, reason: string) => void;
    } = {},
    private readonly timeoutMs = 10_000,
  ) {}

  request<R>(body: Out, timeoutMs = this.timeoutMs): Promise<R> {
    if (this.disposed) return Promise.reject(new RpcError('channel closed', 'disposed'));
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcError(`no answer within ${timeoutMs} ms`, 'timeout'));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.post({ kind: 'req', id, body });
    });
  }

  event(body: Out): void {
    if (!this.disposed) this.post({ kind: 'evt', body });
  }

  /** Feed every message that arrives on the channel here. */
  async receive(raw: unknown): Promise<void> {
    if (this.disposed) return;
    if (!isRpcEnvelope(raw)) return this.handlers.onInvalid?.(raw, 'not an RPC envelope');
    if (raw.kind === 'res') {
      const p = this.pending.get(raw.id);
      if (!p) return;
      this.pending.delete(raw.id);
      clearTimeout(p.timer);
      if (raw.error !== undefined) p.reject(new RpcError(raw.error, 'remote'));
      else p.resolve(raw.body);
      return;
    }
    const { validate } = this.handlers;
    if (validate && !validate(raw.body)) return this.handlers.onInvalid?.(raw, 'body failed validation');
    const body = raw.body as In;
    if (raw.kind === 'evt') {
      this.handlers.onEvent?.(body);
      return;
    }
    try {
      if (!this.handlers.onRequest) throw new Error('this side answers no requests');
      const result = await this.handlers.onRequest(body);
      if (!this.disposed) this.post({ kind: 'res', id: raw.id, body: result });
    } catch (e) {
      if (!this.disposed) this.post({ kind: 'res', id: raw.id, error: e instanceof Error ? e.message : String(e) });
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new RpcError('channel closed', 'disposed'));
    }
    this.pending.clear();
  }
}
