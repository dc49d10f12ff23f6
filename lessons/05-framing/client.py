#!/usr/bin/env python3
"""Lesson 5 - asks for a 1 MiB reply and receives it whole, however TCP cut it.

Run:  python3 -u client.py [PORT] [SIZE]    (or set SOCKET_LAB_PORT; default 9005, SIZE 1048576)
"""
import hashlib
import os
import socket
import sys

from framing import recv_msg, send_msg

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9005'))
SIZE = int(sys.argv[2]) if len(sys.argv) > 2 else 1024 * 1024


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect((HOST, PORT))
        send_msg(sock, str(SIZE).encode('ascii'))
        body = recv_msg(sock)  # one call, one whole message: the loop lives in recv_exact()
        expected = bytes(i % 251 for i in range(SIZE))
        ok = body == expected
        print(f'received {len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()[:16]}, '
              f'{"whole and correct" if ok else "CORRUPT"}', flush=True)
        sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
