#!/usr/bin/env python3
"""Lesson 12, exercise 2 (a reference solution): two GETs over one connection, each body read by Content-Length.

Run:  python3 -u client.py [PORT]   (or set SOCKET_LAB_PORT; default 9012)
"""
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9012'))


def get(sock: socket.socket, path: str, buf: bytes, close: bool) -> tuple[bytes, bytes, bytes]:
    """Sends one GET; returns (head, body, bytes already received after the body)."""
    request = f'GET {path} HTTP/1.1\r\nHost: {HOST}:{PORT}\r\n'
    if close:
        request += 'Connection: close\r\n'
    sock.sendall((request + '\r\n').encode('ascii'))
    while b'\r\n\r\n' not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError('the server closed before the end of the head')
        buf += chunk
    head, buf = buf.split(b'\r\n\r\n', 1)
    length = 0
    for line in head.decode('iso-8859-1').split('\r\n')[1:]:
        name, _, value = line.partition(':')
        if name.strip().lower() == 'content-length':
            length = int(value)
    while len(buf) < length:  # exactly Content-Length bytes: the server keeps the connection open
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError('the server closed in the middle of the body')
        buf += chunk
    return head, buf[:length], buf[length:]


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect((HOST, PORT))
        rest = b''
        for path, close in (('/', False), ('/about', True)):
            head, body, rest = get(sock, path, rest, close)
            print(head.decode('iso-8859-1'), flush=True)
            print(f'-- body of {path}: {len(body)} bytes --', flush=True)
            print(body.decode('utf-8', 'replace'), flush=True)


if __name__ == '__main__':
    main()
