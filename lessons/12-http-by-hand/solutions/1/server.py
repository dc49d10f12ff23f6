#!/usr/bin/env python3
"""Lesson 12, exercise 1 (a reference solution): HTTP/1.1 keep-alive - several requests on one connection.

Run:  python3 -u server.py [PORT]   (or set SOCKET_LAB_PORT; default 9012)
"""
import os
import socket
import sys
import threading

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9012'))
MAX_HEAD = 16 * 1024


def read_head(conn: socket.socket, buf: bytes) -> tuple[bytes, bytes]:
    """Receive until the blank line; returns (head, what came after it: the start of the next request)."""
    while b'\r\n\r\n' not in buf:
        chunk = conn.recv(4096)
        if not chunk or len(buf) > MAX_HEAD:
            return b'', b''
        buf += chunk
    head, rest = buf.split(b'\r\n\r\n', 1)
    return head, rest


def respond(conn: socket.socket, status: str, body: bytes, keep_alive: bool, ctype: str = 'text/html; charset=utf-8') -> None:
    head = (f'HTTP/1.1 {status}\r\n'
            f'Content-Type: {ctype}\r\n'
            f'Content-Length: {len(body)}\r\n'  # with keep-alive the ONLY way the client finds the body's end
            f'Connection: {"keep-alive" if keep_alive else "close"}\r\n'
            '\r\n')
    conn.sendall(head.encode('ascii') + body)


def handle(conn: socket.socket) -> None:
    with conn:
        conn.settimeout(10)  # also the idle timeout between two requests
        buf = b''
        while True:
            try:
                head, buf = read_head(conn, buf)
            except (socket.timeout, ConnectionError):
                return
            if not head:
                return  # the client closed (or sent too much): close too
            lines = head.decode('iso-8859-1').split('\r\n')
            request_line = lines[0]
            headers = {k.strip().lower(): v.strip() for k, v in (line.split(':', 1) for line in lines[1:] if ':' in line)}
            print(f'{request_line}  ({len(headers)} headers)', flush=True)
            keep_alive = headers.get('connection', '').lower() != 'close'
            parts = request_line.split()
            try:
                if len(parts) != 3 or not parts[2].startswith('HTTP/'):
                    respond(conn, '400 Bad Request', b'bad request line\n', False, 'text/plain')
                    return
                if parts[0] != 'GET':
                    respond(conn, '405 Method Not Allowed', b'only GET here\n', False, 'text/plain')
                    return  # a body we do not read would be taken for the next request: close instead
                body = ('<!doctype html><title>Socket Lab</title>'
                        f'<h1>Hello from a hand-made HTTP server</h1><p>You asked for {parts[1]}</p>\n')
                respond(conn, '200 OK', body.encode('utf-8'), keep_alive)
            except (socket.timeout, ConnectionError):
                return
            if not keep_alive:
                return


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(16)
        print('listening on %s:%d' % server.getsockname(), flush=True)
        while True:
            conn, _ = server.accept()
            threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
