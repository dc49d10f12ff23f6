#!/usr/bin/env python3
"""Lesson 5, exercise 1 (a reference solution): a request that is not a size gets a framed error; the connection goes on.

It reads whatever has arrived (one recv() may hold several messages, or part of one) and lets the
length prefixes split it into whole messages; it prints what each recv() contained.
Run:  python3 -u server.py [PORT]      (or set SOCKET_LAB_PORT; default 9005)
"""
import hashlib
import os
import socket
import sys

from framing import send_msg, split_frames

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9005'))


def answer(conn: socket.socket, request: bytes) -> None:
    try:
        size = int(request.decode('ascii'))  # e.g. b'1048576': the size of reply the client wants
    except ValueError:  # UnicodeDecodeError is a ValueError too
        # the length prefix told us where this message ends, so the next one is still in step:
        # answer this one and carry on, no need to drop the connection
        send_msg(conn, b'error: not a size')
        print(f'  not a size: {request[:40]!r}', flush=True)
        return
    body = bytes(i % 251 for i in range(size))  # a pattern the client can verify
    send_msg(conn, body)
    print(f'  sent {size} bytes + 4-byte header, sha256 {hashlib.sha256(body).hexdigest()[:16]}', flush=True)


def serve(conn: socket.socket, who: str) -> None:
    pending = b''  # bytes received but not yet a whole message
    while True:
        data = conn.recv(65536)
        if not data:
            if pending:
                print(f'{who}: peer closed in the middle of a message ({len(pending)} bytes of it arrived)', flush=True)
            else:
                print(f'{who}: peer closed cleanly at a message boundary', flush=True)
            return
        messages, pending = split_frames(pending + data)
        rest = f', {len(pending)} bytes of the next one kept for later' if pending else ''
        print(f'recv: {len(data)} bytes -> {len(messages)} whole message(s) {messages[:8]}{rest}', flush=True)
        for request in messages:
            answer(conn, request)


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(5)
        print('listening on %s:%d' % server.getsockname(), flush=True)
        while True:
            conn, addr = server.accept()
            who = f'{addr[0]}:{addr[1]}'
            with conn:
                try:
                    serve(conn, who)
                except (ConnectionError, ValueError) as e:  # a reset, or a length over the limit
                    print(f'{who}: {e}', flush=True)


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
