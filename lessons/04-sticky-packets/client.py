#!/usr/bin/env python3
"""Lesson 4 - sends three quick messages, then one large one, on two TCP connections.

Run:  python3 -u client.py [PORT]      (or set SOCKET_LAB_PORT; default 9004)
Watch the server: three send() calls arrive as fewer recv() calls, one big send() as many.
"""
import os
import socket
import sys
import time

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9004'))


def main() -> None:
    # 1) three small sends in a row: the receiver sees one stream of bytes, not three messages
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Nagle's algorithm is a SENDER rule (hold back a small segment while an earlier one is
        # unacknowledged), not something the receiver does. Switched off here, each send() leaves
        # as its own segment - see the capture - and the server still reads all three at once:
        # the merging happens in the receiver's buffer, while it is not calling recv().
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        print('Nagle off (TCP_NODELAY=1): each send() is its own segment', flush=True)
        sock.connect((HOST, PORT))
        for word in (b'apple', b'banana', b'cherry'):
            sock.sendall(word)
            print(f'send: {len(word)} bytes {word!r}', flush=True)
    time.sleep(1.0)  # let the server print its summary before the next connection

    # 2) one large send: the receiver gets it in several pieces
    big = b'x' * 200_000
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect((HOST, PORT))
        sock.sendall(big)
        print(f'send: {len(big)} bytes in one sendall()', flush=True)


if __name__ == '__main__':
    main()
