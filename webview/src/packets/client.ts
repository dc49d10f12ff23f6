// The webview end of the packet panel protocol: typed requests whose answers are validated
// before use, and status events (validated too) handed to one listener.
import { Rpc, type RpcEnvelope } from '../../../src/shared/rpc';
import {
  answerValidators, isPacketPanelEvent,
  type PacketPanelAnswers, type PacketPanelEvent, type PacketPanelRequest,
} from '../../../src/shared/packetPanelProtocol';

export interface WebviewApi {
  postMessage(message: unknown): void;
}

export class PacketPanelClient {
  private readonly rpc: Rpc<PacketPanelRequest, PacketPanelEvent>;

  constructor(api: WebviewApi, onEvent: (e: PacketPanelEvent) => void) {
    this.rpc = new Rpc<PacketPanelRequest, PacketPanelEvent>((m: RpcEnvelope) => api.postMessage(m), {
      onEvent,
      validate: isPacketPanelEvent,
      onInvalid: (_raw, reason) => console.warn(`packet panel: dropped a message (${reason})`),
    }, 30_000);
    window.addEventListener('message', (e: MessageEvent) => void this.rpc.receive(e.data));
  }

  async request<T extends PacketPanelRequest['type']>(
    body: Extract<PacketPanelRequest, { type: T }>,
  ): Promise<PacketPanelAnswers[T]> {
    const answer = await this.rpc.request<unknown>(body);
    if (!answerValidators[body.type](answer)) throw new Error(`invalid answer to ${body.type}`);
    return answer as PacketPanelAnswers[T];
  }
}
