#!/usr/bin/env python3
"""Lesson 10, exercise 1 (a reference solution): tells the client its address (getpeername) before bye.

Lesson 10 - a server that shows socket names and options, and closes first.

Whoever closes first ends in TIME_WAIT; here that is the server, as with most HTTP servers.
Run:  python3 -u server.py [PORT]      (or set SOCKET_LAB_PORT; default 9010)
"""
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9010'))


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        # without this, restarting right after a client was served fails with "Address already in use"
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(5)
        print('listening on %s:%d' % server.getsockname(), flush=True)
        while True:
            conn, _ = server.accept()
            with conn:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)  # probe idle peers (after ~2 h by default)
                print('accepted: getsockname()=%s:%d getpeername()=%s:%d' % (*conn.getsockname(), *conn.getpeername()),
                      flush=True)
                print('SO_KEEPALIVE =', conn.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE), flush=True)
                host, port = conn.getpeername()[:2]  # the client's address, as the kernel knows it
                conn.sendall(f'you are {host}:{port}\n'.encode('ascii'))
                conn.sendall(b'bye\n')
            # we closed first: this side of the connection now waits in TIME_WAIT (2 x MSL, 60 s on Linux)
            print('closed first -> TIME_WAIT on our side; the client sits in CLOSE_WAIT until it closes', flush=True)


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
