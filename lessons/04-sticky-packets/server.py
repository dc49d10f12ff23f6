#!/usr/bin/env python3
"""Lesson 4 - "sticky packets" (粘包): shows how TCP's byte stream ignores send() boundaries.

The server reads slowly on purpose (like a busy server) and prints every recv() it makes.
Run:  python3 -u server.py [PORT]      (or set SOCKET_LAB_PORT; default 9004)
"""
import os
import socket
import sys
import time

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9004'))


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(5)
        print('listening on %s:%d' % server.getsockname(), flush=True)
        while True:
            conn, addr = server.accept()
            with conn:
                print(f'client {addr[0]}:{addr[1]}', flush=True)
                time.sleep(0.5)  # a busy server: meanwhile the client's sends pile up in our receive buffer
                reads, total = 0, 0
                while True:
                    data = conn.recv(4096)
                    if not data:
                        break
                    reads += 1
                    total += len(data)
                    shown = data if len(data) <= 60 else data[:60] + b'...'
                    print(f'recv #{reads}: {len(data)} bytes {shown!r}', flush=True)
                print(f'summary: {total} bytes in {reads} recv() calls', flush=True)


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
