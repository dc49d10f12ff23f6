#!/usr/bin/env python3
"""Lesson 11 - connects to the Unix socket file and prints the upper-cased echo.

Run:  python3 -u client.py [PATH] [MESSAGE]   (or set SOCKET_LAB_UNIX_PATH)
"""
import os
import socket
import sys
import tempfile

PATH = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
    'SOCKET_LAB_UNIX_PATH', os.path.join(tempfile.gettempdir(), 'socket-lab-11.sock'))
MESSAGE = sys.argv[2] if len(sys.argv) > 2 else 'hello over a unix socket'


def main() -> None:
    payload = MESSAGE.encode('utf-8')
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(PATH)
        except FileNotFoundError:
            sys.exit(f'no socket file at {PATH}: start server.py first')
        sock.sendall(payload)
        reply = b''
        while len(reply) < len(payload):
            chunk = sock.recv(1024)
            if not chunk:
                break
            reply += chunk
        print(f'reply: {reply.decode("utf-8")}', flush=True)


if __name__ == '__main__':
    main()
