// HTTP/1.x found by its first line on any TCP port: the request/status line and the headers.
import { latin1 } from './format';
import { PacketInfo, addBytesField, addChild, addField, beginLayer, declareFields, declareProtocol, dissectData, tcpHeuristics, tcpPortTable } from './registry';

const http = declareProtocol('http', 'Hypertext Transfer Protocol');
// Wireshark's name for a text body (text/*), listed after `http` in frame.protocols.
const textLines = declareProtocol('data-text-lines', 'Line-based text data');
// A JSON body: Wireshark's json dissector; its tree is not decoded here, the layer names it.
const json = declareProtocol('json', 'JavaScript Object Notation');
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
  contentLengthValue: ['http.content_length', 'Content length', 'uint'],
  connection: ['http.connection', 'Connection', 'string'],
  server: ['http.server', 'Server', 'string'],
  fileData: ['http.file_data', 'File Data', 'string'],
  chunkSize: ['http.chunk_size', 'Chunk size', 'uint'],
  chunkData: ['http.chunk_data', 'Chunk data', 'bytes'],
  chunkBoundary: ['http.chunk_boundary', 'Chunk boundary', 'bytes'],
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

export function looksLikeHttp(d: Uint8Array, o: number, end: number): boolean {
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
  let chunked = false;
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
    if (name === 'transfer-encoding' && /chunked/i.test(line)) chunked = true;
    if (def !== undefined && field !== undefined) {
      const value = line.slice(colon + 1).trim();
      const child = addChild(pi, layer, field, def, value, value, o, len);
      // Wireshark adds the length as a number under its header.
      if (def === hf.contentLength && /^\d+$/.test(value)) addChild(pi, layer, child, hf.contentLengthValue, Number(value), value, o, len);
    }
    if (e < 0) break;
    o += len;
  }
  if (isResponse && contentType !== undefined) pi.info += `  (${contentType})`;
  if (headersDone && o < stop) {
    // A chunked body (whole once reassembled): its chunks, and the file data without the chunk framing.
    const text = chunked ? dechunk(pi, layer, o, stop) : undefined;
    addField(pi, layer, hf.fileData, text ?? bodyText(d, o, stop), `${end - o} bytes`, o, stop - o);
    // A text body is Wireshark's data-text-lines; others go to their media dissectors, which we leave as data.
    if (contentType !== undefined && /^text\//i.test(contentType)) beginLayer(pi, textLines.id, `Line-based text data: ${contentType}`, 'message', o, end - o);
    else if (contentType !== undefined && /^application\/(json|[^;\s]*\+json)\b/i.test(contentType)) {
      beginLayer(pi, json.id, `JavaScript Object Notation: ${contentType}`, 'message', o, end - o);
      pi.protocol = 'HTTP/JSON';
      pi.info = `${first} , JavaScript Object Notation (${contentType})`;
    } else dissectData(pi, o, end);
  }
  return end - offset;
}

/** Adds the chunk fields of a chunked body at `o`; its data as text (4096 characters at most, then `…`). */
function dechunk(pi: PacketInfo, layer: ReturnType<typeof beginLayer>, o: number, stop: number): string {
  const d = pi.data;
  let text = '';
  let p = o;
  while (p < stop) {
    const lf = lineEnd(d, p, stop);
    const m = lf < 0 ? null : /^[0-9a-fA-F]+/.exec(latin1(d, p, lf - p));
    if (!m) break;
    const size = parseInt(m[0], 16);
    addField(pi, layer, hf.chunkSize, size, `${size} octets`, p, lf + 1 - p);
    p = lf + 1;
    if (size === 0 || p + size > stop) break;
    addBytesField(pi, layer, hf.chunkData, p, size, `${size} bytes`);
    if (text.length <= 4096) text += latin1(d, p, Math.min(size, 4097 - text.length));
    p += size;
    addBytesField(pi, layer, hf.chunkBoundary, p, Math.min(2, stop - p), 'CRLF');
    p += 2;
  }
  return text.length > 4096 ? text.slice(0, 4096) + '…' : text;
}

/** A body as text; past 4096 characters it ends with `…` (the bytes field convention). */
function bodyText(d: Uint8Array, o: number, stop: number): string {
  const n = Math.min(stop - o, 4096);
  return latin1(d, o, n) + (n < stop - o ? '…' : '');
}

/** Wireshark's HTTP ports: a segment there that does not start a message continues one (its body). */
const httpPorts = [80, 3128, 3132, 5985, 8080, 8088, 11371, 1900, 2869, 2710];

export function isHttpPort(port: number): boolean {
  return httpPorts.includes(port);
}

/** Headers longer than this are not reassembled (the message is shown segment by segment). */
const MAX_HEADERS = 65536;

/**
 * Length of the HTTP message starting at `o`, for TCP reassembly: headers, then the body its Content-Length or chunks
 * say (none for a request without either, nor for 1xx/204/304). -1 while the headers or chunks are not all there;
 * undefined when this is no message start, or a response whose body runs to the connection's end.
 */
export function httpMessageLength(d: Uint8Array, o: number, end: number): number | undefined {
  if (!looksLikeHttp(d, o, end)) return undefined;
  const stop = Math.min(end, o + MAX_HEADERS);
  let hdrEnd = -1;
  for (let i = o; i + 1 < stop; i++) {
    if (d[i] !== 0x0a) continue;
    if (d[i + 1] === 0x0a) hdrEnd = i + 2;
    else if (d[i + 1] === 0x0d && i + 2 < stop && d[i + 2] === 0x0a) hdrEnd = i + 3;
    if (hdrEnd >= 0) break;
  }
  if (hdrEnd < 0) return end - o >= MAX_HEADERS ? undefined : -1;
  const head = latin1(d, o, hdrEnd - o);
  const isResponse = head.startsWith('HTTP/');
  if (isResponse) {
    const code = Number(head.slice(9, 12));
    if (code < 200 || code === 204 || code === 304) return hdrEnd - o;
  }
  if (/\ntransfer-encoding:[^\n]*chunked/i.test(head)) {
    const e = chunkedEnd(d, hdrEnd, end);
    return e === undefined ? undefined : e < 0 ? -1 : e - o;
  }
  const cl = /\ncontent-length:[ \t]*(\d+)/i.exec(head);
  if (cl) return hdrEnd - o + Number(cl[1]);
  return isResponse ? undefined : hdrEnd - o;
}

/** End of a chunked body starting at `p` (after its trailers), -1 when not all there, undefined when not chunks. */
function chunkedEnd(d: Uint8Array, p: number, end: number): number | undefined {
  for (;;) {
    const lf = lineEnd(d, p, Math.min(end, p + 1024));
    if (lf < 0) return end - p >= 1024 ? undefined : -1;
    const m = /^[0-9a-fA-F]+/.exec(latin1(d, p, lf - p));
    if (!m) return undefined;
    const size = parseInt(m[0], 16);
    p = lf + 1;
    if (size === 0) {
      // Trailers, up to an empty line.
      for (;;) {
        const t = lineEnd(d, p, Math.min(end, p + 8192));
        if (t < 0) return -1;
        const empty = t === p || (t === p + 1 && d[p] === 0x0d);
        p = t + 1;
        if (empty) return p;
      }
    }
    p += size + 2;
    if (p > end) return -1;
  }
}

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
