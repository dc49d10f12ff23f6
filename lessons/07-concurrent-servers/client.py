#!/usr/bin/env python3
"""Lesson 7 - opens N connections at once, sends on all of them, then collects every reply.

Run:  python3 -u client.py [PORT] [N] [CONNECT_TIMEOUT]  (or set SOCKET_LAB_PORT; default 9007, N 10, 10 s)
"""
import os
import socket
import sys
import time

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9007'))
N = int(sys.argv[2]) if len(sys.argv) > 2 else 10
CONNECT_TIMEOUT = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0


def main() -> None:
    socks = []
    start = time.monotonic()
    for i in range(N):
        try:
            socks.append(socket.create_connection((HOST, PORT), timeout=CONNECT_TIMEOUT))
        except socket.timeout:  # TimeoutError since Python 3.10
            # The server's backlog is full: Linux ignores a SYN it has no room for (the client
            # retries), so connect() neither succeeds nor is refused - it waits, until our timeout.
            print(f'connect #{i + 1} of {N} timed out after {CONNECT_TIMEOUT:g} s with {i} connections open: '
                  f'the server is not accepting and its backlog is full', flush=True)
            sys.exit(1)
    print(f'{N} connections open after {time.monotonic() - start:.2f} s', flush=True)
    for s in socks:
        s.settimeout(0.5 * N + 10)  # served one at a time, the last reply comes after N x 0.5 s
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
