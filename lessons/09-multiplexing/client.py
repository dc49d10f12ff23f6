#!/usr/bin/env python3
"""Lesson 9 - opens N connections (default 50), keeps them all open, and talks on each.

Run:  python3 -u client.py [PORT] [N]  (or set SOCKET_LAB_PORT; default 9009)
"""
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9009'))
N = int(sys.argv[2]) if len(sys.argv) > 2 else 50


def read_line(sock: socket.socket) -> bytes:
    buf = b''
    while not buf.endswith(b'\n'):
        chunk = sock.recv(1024)
        if not chunk:
            break
        buf += chunk
    return buf


def main() -> None:
    socks = [socket.create_connection((HOST, PORT), timeout=10) for _ in range(N)]
    print(f'{N} connections open', flush=True)
    ok = 0
    for i, s in enumerate(socks):  # every connection is still open while we talk on each one
        s.sendall(b'hello from %d\n' % i)
    for i, s in enumerate(socks):
        if read_line(s) == b'HELLO FROM %d\n' % i:
            ok += 1
    for s in socks:
        s.close()
    print(f'{ok}/{N} answered by one server process', flush=True)
    sys.exit(0 if ok == N else 1)


if __name__ == '__main__':
    main()
