// HTTP/1.x found by its first line on any TCP port: the request/status line and the headers.
import { latin1 } from './format';
import { PacketInfo, addChild, addField, beginLayer, declareFields, declareProtocol, dissectData, tcpHeuristics, tcpPortTable } from './registry';

const http = declareProtocol('http', 'Hypertext Transfer Protocol');
// Wireshark's name for a text body (text/*), listed after `http` in frame.protocols.
const textLines = declareProtocol('data-text-lines', 'Line-based text data');
const hf = declareFields({
  request: ['http.request', 'Request', 'bool'],
  response: ['http.response', 'Response', 'bool'],
  method: ['http.request.method', 'Request Method', 'string'],
  uri: ['http.request.uri', 'Request URI', 'string'],
  reqVersion: ['http.request.version', 'Request Version', 'string'],
  respVersion: ['http.response.version', 'Response Version', 'string'],
  code: ['http.response.code', 'Status Code', 'uint'],
  phrase: ['http.response.phrase', 'Response Phrase', 'string'],
  requestLine: ['http.request.line', 'Request line', 'string'],
  responseLine: ['http.response.line', 'Response line', 'string'],
  host: ['http.host', 'Host', 'string'],
  userAgent: ['http.user_agent', 'User-Agent', 'string'],
  contentType: ['http.content_type', 'Content-Type', 'string'],
  contentLength: ['http.content_length_header', 'Content-Length', 'string'],
  connection: ['http.connection', 'Connection', 'string'],
  server: ['http.server', 'Server', 'string'],
  fileData: ['http.file_data', 'File Data', 'string'],
});

const methods = new Set(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT']);
const knownHeaders: Record<string, typeof hf.host> = {
  host: hf.host,
  'user-agent': hf.userAgent,
  'content-type': hf.contentType,
  'content-length': hf.contentLength,
  connection: hf.connection,
  server: hf.server,
};

/** Longest start line we look at; a real one is far shorter, and this bounds the scan. */
const MAX_LINE = 8192;

function lineEnd(d: Uint8Array, from: number, end: number): number {
  const stop = Math.min(end, from + MAX_LINE);
  for (let i = from; i < stop; i++) if (d[i] === 0x0a) return i;
  return -1;
}

function looksLikeHttp(d: Uint8Array, o: number, end: number): boolean {
  if (end - o >= 5 && d[o] === 0x48 && d[o + 1] === 0x54 && d[o + 2] === 0x54 && d[o + 3] === 0x50 && d[o + 4] === 0x2f) return true;
  let i = o;
  while (i < end && i - o < 8 && d[i] >= 0x41 && d[i] <= 0x5a) i++;
  return i < end && d[i] === 0x20 && methods.has(latin1(d, o, i - o));
}

function dissectHttp(pi: PacketInfo, offset: number, end: number): number | undefined {
  const d = pi.data;
  const stop = Math.min(end, pi.capLen);
  if (!looksLikeHttp(d, offset, stop)) return undefined;
  const firstEnd = lineEnd(d, offset, stop);
  const lineStop = firstEnd < 0 ? stop : firstEnd;
  const first = latin1(d, offset, lineStop - offset).replace(/\r$/, '');
  const parts = first.split(' ');
  const isResponse = first.startsWith('HTTP/');
  if (isResponse ? !/^HTTP\/\d\.\d$/.test(parts[0]) : parts.length < 3 || !/^HTTP\/\d\.\d$/.test(parts[parts.length - 1])) return undefined;
  const layer = beginLayer(pi, http.id, 'Hypertext Transfer Protocol', 'message', offset, end - offset);
  pi.protocol = 'HTTP';
  // The start line is not an http.request.line (Wireshark keeps that name for header lines): its parts are fields.
  if (isResponse) {
    const code = Number(parts[1]);
    const phrase = parts.slice(2).join(' ');
    addField(pi, layer, hf.response, true, 'True', offset, 0);
    addField(pi, layer, hf.respVersion, parts[0], parts[0], offset, parts[0].length);
    if (Number.isInteger(code)) addField(pi, layer, hf.code, code, String(code), offset + parts[0].length + 1, parts[1].length);
    addField(pi, layer, hf.phrase, phrase, phrase, offset + first.length - phrase.length, phrase.length);
    pi.info = first;
  } else {
    const version = parts[parts.length - 1];
    const uri = parts.slice(1, -1).join(' ');
    addField(pi, layer, hf.request, true, 'True', offset, 0);
    addField(pi, layer, hf.method, parts[0], parts[0], offset, parts[0].length);
    addField(pi, layer, hf.uri, uri, uri, offset + parts[0].length + 1, uri.length);
    addField(pi, layer, hf.reqVersion, version, version, offset + first.length - version.length, version.length);
    pi.info = first;
  }
  layer.title = `Hypertext Transfer Protocol${isResponse ? ' (response)' : ' (request)'}`;
  // Header lines until the blank line (or the end of what this segment carries).
  let o = firstEnd < 0 ? stop : firstEnd + 1;
  let headersDone = false;
  let contentType: string | undefined;
  while (o < stop) {
    const e = lineEnd(d, o, stop);
    const le = e < 0 ? stop : e;
    const line = latin1(d, o, le - o).replace(/\r$/, '');
    const len = Math.min(le + 1, stop) - o;
    if (line === '') {
      headersDone = true;
      o += len;
      break;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).toLowerCase() : '';
    const def = knownHeaders[name];
    // The value is the line as sent, its CRLF included (Wireshark's).
    const field = addField(pi, layer, isResponse ? hf.responseLine : hf.requestLine, latin1(d, o, len), line, o, len);
    if (def === hf.contentType) contentType = line.slice(colon + 1).trim();
    if (def !== undefined && field !== undefined) {
      const value = line.slice(colon + 1).trim();
      addChild(pi, layer, field, def, value, value, o, len);
    }
    if (e < 0) break;
    o += len;
  }
  if (isResponse && contentType !== undefined) pi.info += `  (${contentType})`;
  if (headersDone && o < stop) {
    addField(pi, layer, hf.fileData, bodyText(d, o, stop), `${end - o} bytes`, o, stop - o);
    // A text body is Wireshark's data-text-lines; others go to their media dissectors, which we leave as data.
    if (contentType !== undefined && /^text\//i.test(contentType)) beginLayer(pi, textLines.id, `Line-based text data: ${contentType}`, 'message', o, end - o);
    else dissectData(pi, o, end);
  }
  return end - offset;
}

/** A body as text; past 4096 characters it ends with `…` (the bytes field convention). */
function bodyText(d: Uint8Array, o: number, stop: number): string {
  const n = Math.min(stop - o, 4096);
  return latin1(d, o, n) + (n < stop - o ? '…' : '');
}

/** Wireshark's HTTP ports: a segment there that does not start a message continues one (its body). */
const httpPorts = [80, 3128, 3132, 5985, 8080, 8088, 11371, 1900, 2869, 2710];

function dissectHttpPort(pi: PacketInfo, offset: number, end: number): number {
  const used = dissectHttp(pi, offset, end);
  if (used !== undefined) return used;
  const stop = Math.min(end, pi.capLen);
  const layer = beginLayer(pi, http.id, 'Hypertext Transfer Protocol', 'message', offset, end - offset);
  pi.protocol = 'HTTP';
  pi.info = 'Continuation';
  if (stop > offset) addField(pi, layer, hf.fileData, bodyText(pi.data, offset, stop), `${end - offset} bytes`, offset, stop - offset);
  dissectData(pi, offset, end);
  return end - offset;
}

tcpHeuristics.push(dissectHttp);
for (const port of httpPorts) tcpPortTable.register(port, dissectHttpPort);
