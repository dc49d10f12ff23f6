#!/usr/bin/env python3
"""Lesson 4, exercise 1 (a reference solution): a line server - one answer per complete line, whatever recv() returns.

The server reads slowly on purpose (like a busy server) and prints every recv() it makes.
Run:  python3 -u server.py [PORT]      (or set SOCKET_LAB_PORT; default 9004)
"""
import os
import socket
import sys
import time

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9004'))
# recv(n)'s n is only the most one call may return - any size, odd or even (tutorials claim "at most
# 8192, and even": neither is true). 1 MiB is larger than anything the client sends, so when a send
# arrives in pieces the cut is TCP's own (what its receive buffer let in), never our buffer's size.
RECV_SIZE = 1 << 20


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(5)
        print('listening on %s:%d' % server.getsockname(), flush=True)
        rcvbuf = server.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        print(f'each read is recv({RECV_SIZE}); receive buffer (SO_RCVBUF) {rcvbuf} bytes to start with', flush=True)
        while True:
            conn, addr = server.accept()
            with conn:
                print(f'client {addr[0]}:{addr[1]}', flush=True)
                time.sleep(0.5)  # a busy server: meanwhile the client's sends pile up in our receive buffer
                reads, total, lines = 0, 0, 0
                pending = b''  # bytes received but not yet a whole line
                while True:
                    data = conn.recv(RECV_SIZE)
                    if not data:
                        break
                    reads += 1
                    total += len(data)
                    shown = data if len(data) <= 60 else data[:60] + b'...'
                    print(f'recv #{reads}: {len(data)} bytes {shown!r}', flush=True)
                    pending += data
                    while b'\n' in pending:  # one recv() may hold several lines, or a piece of one
                        line, pending = pending.split(b'\n', 1)
                        lines += 1
                        conn.sendall(b'line %d: %s\n' % (lines, line))
                        print(f'line {lines}: {line!r}', flush=True)
                print(f'summary: {total} bytes in {reads} recv() calls', flush=True)


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
