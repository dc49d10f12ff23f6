#!/usr/bin/env python3
"""Lesson 17 - opens several connections at once and shows which process answered each.

Run:  python3 -u client.py [PORT] [N]      (or set SOCKET_LAB_PORT; default 9017, N = 3)
"""
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9017'))
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def main() -> None:
    socks = []
    for _ in range(COUNT):  # all connected before any of them talks: the server must serve them together
        s = socket.create_connection((HOST, PORT), timeout=10)
        socks.append(s)
    pids = set()
    for i, s in enumerate(socks, 1):
        s.sendall(f'hello {i}'.encode())
        reply = s.recv(1024).decode()  # one small reply: a sketch; lesson 5 shows real framing
        print(f'connection {i} (local port {s.getsockname()[1]}): {reply}', flush=True)
        pids.add(reply.split(':')[0])
    for s in socks:
        s.close()  # our FIN; the child sees recv() return b'' and ends
    print(f'{COUNT} connections served by {len(pids)} different processes', flush=True)


if __name__ == '__main__':
    main()
