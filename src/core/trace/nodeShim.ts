// The Node.js side of the socket-call timeline: a CommonJS file loaded with `--require` (NODE_OPTIONS) that records
// net, dgram and tls calls and events as the Python recorder's records: connect, listen, accept ('connection'),
// write → send, 'data' → recv (at the line that added the 'data' listener), 'end' → recv of 0 bytes, end → shutdown,
// destroy → close, dgram send/'message'. Records go over its own connection to SOCKET_LAB_TRACE_SOCKET, made before
// anything is wrapped (so it is never recorded); past a bound of waiting bytes, records are dropped and counted.
export const NODE_SHIM = String.raw`'use strict';
// Socket Lab: records this program's socket calls for the socket-call timeline (loaded with --require).
(() => {
  const where = process.env.SOCKET_LAB_TRACE_SOCKET;
  if (!where) return;
  const net = require('net');
  const dgram = require('dgram');
  const path = require('path');
  const PREVIEW = Number(process.env.SOCKET_LAB_TRACE_PREVIEW || 64);
  const MAX_WAITING = Number(process.env.SOCKET_LAB_TRACE_BUFFER || 1 << 20);
  const here = __filename;
  const cwd = process.cwd();
  let link;
  let dropped = 0;
  try {
    link = net.createConnection(where);
    link.on('error', () => { link = undefined; });
    link.unref();
  } catch {
    return;
  }
  const send = (rec) => {
    if (!link) return;
    if (link.writableLength > MAX_WAITING) { dropped++; return; }
    if (dropped) {
      link.write(JSON.stringify({ t: Date.now() / 1000, call: 'dropped', count: dropped, pid: process.pid }) + '\n');
      dropped = 0;
    }
    link.write(JSON.stringify(rec) + '\n');
  };
  const isLibrary = (file) => !file || file === here || file.startsWith('node:') || file.startsWith('internal/') || file.includes(path.sep + 'node_modules' + path.sep);
  const userFrame = () => {
    const keep = Error.prepareStackTrace;
    const limit = Error.stackTraceLimit;
    Error.prepareStackTrace = (_, sites) => sites;
    Error.stackTraceLimit = 30;
    const holder = {};
    Error.captureStackTrace(holder, userFrame);
    const sites = holder.stack;
    Error.prepareStackTrace = keep;
    Error.stackTraceLimit = limit;
    for (const s of sites || []) {
      let file = s.getFileName();
      if (file && file.startsWith('file://')) file = require('url').fileURLToPath(file);
      if (isLibrary(file)) continue;
      return [file.startsWith(cwd + path.sep) ? path.relative(cwd, file) : file, s.getLineNumber()];
    }
    return [null, null];
  };
  const addr = (host, port) => (host === undefined ? undefined : port === undefined ? String(host) : (String(host).includes(':') ? '[' + host + ']:' : host + ':') + port);
  const fdOf = (s) => { const h = s && s._handle; return h && typeof h.fd === 'number' && h.fd >= 0 ? h.fd : undefined; };
  const record = (call, sock, at, extra, started) => {
    if (sock && (sock._isStdio || (fdOf(sock) !== undefined && fdOf(sock) <= 2))) return; // console.log on a pipe is not a socket call
    const rec = { t: (started || Date.now()) / 1000, call, file: at[0], line: at[1], pid: process.pid, thread: 'main' };
    const fd = fdOf(sock);
    if (fd !== undefined) rec.fd = fd;
    if (sock && sock.localPort !== undefined) rec.local = addr(sock.localAddress, sock.localPort);
    if (sock && sock.remotePort !== undefined) rec.peer = addr(sock.remoteAddress, sock.remotePort);
    Object.assign(rec, extra);
    if (started) rec.blocked_ms = Math.round((Date.now() - started) * 1000) / 1000;
    send(rec);
  };
  const bytesOf = (data, encoding) => (typeof data === 'string' ? Buffer.from(data, typeof encoding === 'string' ? encoding : 'utf8') : Buffer.from(data.buffer ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data));
  const hex = (b) => b.subarray(0, PREVIEW).toString('hex');

  const S = net.Socket.prototype;
  const connect = S.connect;
  S.connect = function (...args) {
    const at = userFrame();
    const started = Date.now();
    // a failed connect is recorded when net destroys the socket with the error (see destroy): an 'error' listener of
    // the recorder's own would make an unhandled error handled, and the program would no longer crash as untraced
    this.__slConnecting = { at, started };
    this.once('connect', () => { this.__slConnecting = undefined; record('connect', this, at, {}, started); });
    return connect.apply(this, args);
  };
  const write = S.write;
  S.write = function (data, encoding, cb) {
    if (this === link) return write.call(this, data, encoding, cb);
    try {
      const b = bytesOf(data, encoding);
      record('send', this, userFrame(), { asked: b.length, returned: b.length, bytes_hex: hex(b) });
    } catch {}
    return write.call(this, data, encoding, cb);
  };
  const on = S.on;
  S.on = S.addListener = function (event, listener) {
    // the first listener the program itself added (Node adds its own 'end' listener first)
    if ((event === 'data' || event === 'end') && this !== link) {
      const key = event === 'data' ? '__slDataAt' : '__slEndAt';
      if (!this[key]) { const at = userFrame(); if (at[0]) this[key] = at; }
    }
    return on.call(this, event, listener);
  };
  const emit = S.emit;
  S.emit = function (event, ...args) {
    if (this !== link) {
      try {
        if (event === 'data') {
          const b = bytesOf(args[0]);
          record('recv', this, this.__slDataAt || [null, null], { returned: b.length, bytes_hex: hex(b) });
        } else if (event === 'end') record('recv', this, this.__slEndAt || this.__slDataAt || [null, null], { returned: 0 });
      } catch {}
    }
    return emit.call(this, event, ...args);
  };
  const end = S.end;
  S.end = function (...args) {
    const first = this !== link && !this.__slEnded && !this.destroyed;
    const at = first ? userFrame() : undefined;
    const data = typeof args[0] === 'function' ? undefined : args[0];
    if (first && data !== undefined && data !== null) {
      try {
        const b = bytesOf(data, args[1]);
        record('send', this, at, { asked: b.length, returned: b.length, bytes_hex: hex(b) });
      } catch {}
    }
    const r = end.apply(this, args);
    if (first) {
      this.__slEnded = true;
      record('shutdown', this, at, { how: 'SHUT_WR' });
    }
    return r;
  };
  const destroy = S.destroy;
  S.destroy = function (...args) {
    if (this !== link && this.__slConnecting && args[0]) {
      const c = this.__slConnecting;
      this.__slConnecting = undefined;
      record('connect', this, c.at, { error: (args[0].code || args[0].name) + ': ' + args[0].message }, c.started);
    }
    if (this !== link && !this.__slClosed) {
      this.__slClosed = true;
      record('close', this, userFrame(), args[0] ? { error: String(args[0] && args[0].message) } : {});
    }
    return destroy.apply(this, args);
  };

  const Srv = net.Server.prototype;
  const listen = Srv.listen;
  Srv.listen = function (...args) {
    const at = userFrame();
    this.once('listening', () => {
      const a = this.address();
      const local = a && typeof a === 'object' ? addr(a.address, a.port) : a;
      record('bind', undefined, at, { local });
      record('listen', undefined, at, { local, fd: fdOf(this) });
    });
    this.on('connection', (sock) => record('accept', undefined, at, { fd: fdOf(this), new_fd: fdOf(sock), peer: addr(sock.remoteAddress, sock.remotePort), local: addr(sock.localAddress, sock.localPort) }));
    return listen.apply(this, args);
  };

  const D = dgram.Socket.prototype;
  const dsend = D.send;
  D.send = function (msg, ...rest) {
    try {
      const parts = Array.isArray(msg) ? msg.map((m) => bytesOf(m)) : [bytesOf(msg)];
      let b = Buffer.concat(parts);
      let i = 0;
      if (typeof rest[0] === 'number' && typeof rest[1] === 'number') { b = b.subarray(rest[0], rest[0] + rest[1]); i = 2; }
      const port = rest[i];
      const host = typeof rest[i + 1] === 'string' ? rest[i + 1] : undefined;
      const rec = { asked: b.length, returned: b.length, bytes_hex: hex(b) };
      if (typeof port === 'number') rec.peer = addr(host || 'localhost', port);
      record('sendto', undefined, userFrame(), rec);
    } catch {}
    return dsend.call(this, msg, ...rest);
  };
  const dbind = D.bind;
  D.bind = function (...args) {
    const at = userFrame();
    this.once('listening', () => { const a = this.address(); record('bind', undefined, at, { local: addr(a.address, a.port) }); });
    return dbind.apply(this, args);
  };
  const don = D.on;
  D.on = D.addListener = function (event, listener) {
    if (event === 'message' && !this.__slMsgAt) { const at = userFrame(); if (at[0]) this.__slMsgAt = at; }
    return don.call(this, event, listener);
  };
  const demit = D.emit;
  D.emit = function (event, ...args) {
    if (event === 'message') {
      try {
        const b = bytesOf(args[0]);
        const r = args[1] || {};
        record('recvfrom', undefined, this.__slMsgAt || [null, null], { returned: b.length, bytes_hex: hex(b), peer: addr(r.address, r.port) });
      } catch {}
    }
    return demit.call(this, event, ...args);
  };
  process.on('exit', () => { if (link && dropped) link.write(JSON.stringify({ t: Date.now() / 1000, call: 'dropped', count: dropped, pid: process.pid }) + '\n'); });
})();
`;
