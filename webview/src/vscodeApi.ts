// acquireVsCodeApi() may be called only once per webview; every view gets the handle from here.
import { PanelClient, type PanelProtocol } from '../../src/shared/panelKit';
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;

export function vscodeApi(): VsCodeApi {
  api ??= acquireVsCodeApi();
  return api;
}

/** The page's end of its panel's protocol: a PanelClient on postMessage, fed by the window's message events. */
export function connectPanel<Req extends { readonly type: string }, Res extends { [K in Req['type']]: unknown }, Evt>(
  protocol: PanelProtocol<Req, Res, Evt>,
  onEvent: (e: Evt) => void,
): PanelClient<Req, Res, Evt> {
  const api = vscodeApi();
  const client = new PanelClient(protocol, (m) => api.postMessage(m), onEvent, (raw, reason) => console.warn(`socket-lab ${protocol.name}: dropped a message from the extension (${reason})`, raw));
  window.addEventListener('message', (e: MessageEvent) => void client.receive(e.data));
  return client;
}
