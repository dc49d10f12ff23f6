#!/usr/bin/env python3
"""Lesson 5 - a framed server: each request names a size, each reply is that many bytes, framed.

Run:  python3 -u server.py [PORT]      (or set SOCKET_LAB_PORT; default 9005)
"""
import hashlib
import os
import socket
import sys

from framing import recv_msg, send_msg

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9005'))


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(5)
        print('listening on %s:%d' % server.getsockname(), flush=True)
        while True:
            conn, addr = server.accept()
            with conn:
                try:
                    while True:
                        request = recv_msg(conn)  # e.g. b'1048576': the size of reply the client wants
                        size = int(request.decode('ascii'))
                        body = bytes(i % 251 for i in range(size))  # a pattern the client can verify
                        send_msg(conn, body)
                        print(f'sent {size} bytes + 4-byte header, sha256 {hashlib.sha256(body).hexdigest()[:16]}',
                              flush=True)
                except (ConnectionError, ValueError) as e:
                    print(f'{addr[0]}:{addr[1]}: {e}', flush=True)


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
