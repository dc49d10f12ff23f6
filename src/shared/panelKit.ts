// One kit for every panel's message channel: a panel's protocol file declares its requests, responses and events
// with a validator for each; the webview talks through a PanelClient, the extension answers through a panel host.
// Both sides check everything they receive (shared/rpc.ts carries the envelopes).
import { Rpc, type RpcEnvelope } from './rpc';

/** What a panel's protocol file exports for the kit: the request and event checks and one response check per request. */
export interface PanelProtocol<Req extends { readonly type: string }, Res extends { [K in Req['type']]: unknown }, Evt> {
  /** The panel's name in warnings about dropped messages. */
  readonly name: string;
  readonly isRequest: (v: unknown) => v is Req;
  readonly isEvent: (v: unknown) => v is Evt;
  readonly responseValidators: { readonly [K in Req['type']]: (v: unknown) => v is Res[K] };
}

type Invalid = (raw: unknown, reason: string) => void;

/** The webview's end: typed calls whose responses are validated before use, and validated events. */
export class PanelClient<Req extends { readonly type: string }, Res extends { [K in Req['type']]: unknown }, Evt> {
  private readonly rpc: Rpc<Req, Evt>;

  constructor(
    private readonly protocol: PanelProtocol<Req, Res, Evt>,
    post: (m: RpcEnvelope) => void,
    onEvent: (e: Evt) => void,
    private readonly onInvalid: Invalid,
    timeoutMs = 30_000,
  ) {
    this.rpc = new Rpc<Req, Evt>(post, { onEvent, validate: protocol.isEvent, onInvalid }, timeoutMs);
  }

  async call<K extends Req['type']>(req: Extract<Req, { type: K }>): Promise<Res[K]> {
    const res = await this.rpc.request<unknown>(req);
    if (!this.protocol.responseValidators[req.type as K](res)) {
      this.onInvalid(res, `bad answer to ${req.type}`);
      throw new Error(`bad answer to ${req.type}`);
    }
    return res as Res[K];
  }

  receive(raw: unknown): Promise<void> {
    return this.rpc.receive(raw);
  }

  dispose(): void {
    this.rpc.dispose();
  }
}

/** The extension's end: answers validated requests, sends events. */
export function createPanelHost<Req extends { readonly type: string }, Res extends { [K in Req['type']]: unknown }, Evt>(
  protocol: PanelProtocol<Req, Res, Evt>,
  post: (m: RpcEnvelope) => void,
  handle: (req: Req) => unknown,
  onInvalid: Invalid,
): Rpc<Evt, Req> {
  return new Rpc<Evt, Req>(post, { onRequest: handle, validate: protocol.isRequest, onInvalid });
}
