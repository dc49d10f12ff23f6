#!/usr/bin/env python3
"""Lesson 7 - opens N connections at once, sends on all of them, then collects every reply.

Run:  python3 -u client.py [PORT] [N]  (or set SOCKET_LAB_PORT; default 9007, N 10)
"""
import os
import socket
import sys
import time

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9007'))
N = int(sys.argv[2]) if len(sys.argv) > 2 else 10


def main() -> None:
    socks = [socket.create_connection((HOST, PORT), timeout=10) for _ in range(N)]
    start = time.monotonic()
    for i, s in enumerate(socks):
        s.sendall(f'client {i}'.encode())
    served = 0
    for i, s in enumerate(socks):
        reply = s.recv(1024)  # a short reply on loopback; lesson 5 shows the general receive loop
        if reply == f'CLIENT {i}'.encode():
            served += 1
        s.close()
    elapsed = time.monotonic() - start
    # served one by one this would take N x 0.5 s; served together, about 0.5 s
    print(f'{served}/{N} clients served in {elapsed:.2f} s', flush=True)


if __name__ == '__main__':
    main()
