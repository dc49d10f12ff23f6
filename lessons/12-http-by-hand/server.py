#!/usr/bin/env python3
"""Lesson 12 - HTTP/1.1 by hand: read the request head up to the blank line, answer in bytes.

Run:  python3 -u server.py [PORT]   (or set SOCKET_LAB_PORT; default 9012), then open
      http://127.0.0.1:PORT/ in a browser or run `curl -v http://127.0.0.1:PORT/`.
"""
import os
import socket
import sys
import threading

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9012'))
MAX_HEAD = 16 * 1024


def read_head(conn: socket.socket) -> bytes:
    """Receive until the blank line (CRLF CRLF) that ends the request head; one recv() may not be enough."""
    buf = b''
    while b'\r\n\r\n' not in buf:
        chunk = conn.recv(4096)
        if not chunk or len(buf) > MAX_HEAD:
            return b''
        buf += chunk
    return buf.split(b'\r\n\r\n', 1)[0]


def respond(conn: socket.socket, status: str, body: bytes, ctype: str = 'text/html; charset=utf-8') -> None:
    head = (f'HTTP/1.1 {status}\r\n'
            f'Content-Type: {ctype}\r\n'
            f'Content-Length: {len(body)}\r\n'  # the client knows where the body ends
            'Connection: close\r\n'
            '\r\n')
    conn.sendall(head.encode('ascii') + body)  # tutorials' send("HTTP/1.1 200 OK") fails: str is not bytes


def handle(conn: socket.socket) -> None:
    """One connection, in its own thread: a client that connects and says nothing blocks only itself."""
    with conn:
        # a header timeout: a client that never finishes its request head is dropped after 10 s
        conn.settimeout(10)
        try:
            head = read_head(conn)
        except (socket.timeout, ConnectionError):
            return
        if not head:
            return
        lines = head.decode('iso-8859-1').split('\r\n')
        request_line = lines[0]
        headers = dict(line.split(':', 1) for line in lines[1:] if ':' in line)
        print(f'{request_line}  ({len(headers)} headers)', flush=True)
        parts = request_line.split()
        try:
            if len(parts) != 3 or not parts[2].startswith('HTTP/'):
                respond(conn, '400 Bad Request', b'bad request line\n', 'text/plain')
            elif parts[0] != 'GET':
                respond(conn, '405 Method Not Allowed', b'only GET here\n', 'text/plain')
            else:
                body = ('<!doctype html><title>Socket Lab</title>'
                        f'<h1>Hello from a hand-made HTTP server</h1><p>You asked for {parts[1]}</p>\n')
                respond(conn, '200 OK', body.encode('utf-8'))
        except (socket.timeout, ConnectionError):
            pass  # the client went away mid-response


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(16)
        print('listening on %s:%d' % server.getsockname(), flush=True)
        while True:
            conn, _ = server.accept()
            # Browsers open spare connections ahead of time ("preconnect") and may send nothing on
            # them for a while. Served one after another, such an idle connection would hold up every
            # other request until its timeout. A thread per connection keeps the accept() loop free.
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
