#!/usr/bin/env python3
"""Lesson 2, exercise 2 (a reference solution): exit is answered with "bye after N rounds", N per connection.

Run:  python3 -u server.py [PORT]      (or set SOCKET_LAB_PORT; default 9002)
Stop it with Ctrl+C (or Socket Lab's stop button).
"""
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9002'))


def serve_one(conn: socket.socket, addr) -> None:
    rounds = 0
    while True:
        data = conn.recv(1024)
        if not data:  # empty bytes = the peer's FIN: it will send nothing more
            print(f'{addr[0]}:{addr[1]} closed after {rounds} rounds (recv returned b"")', flush=True)
            return
        # recv() returns bytes, so compare with bytes: the tutorials' `data == 'exit'` compares
        # bytes with a str, which is always False in Python 3 (python3 -b even warns: BytesWarning)
        if data.strip() == b'exit':
            conn.sendall(b'bye after %d rounds\n' % rounds)  # rounds is local to serve_one: one count per client
            print(f'{addr[0]}:{addr[1]} said exit after {rounds} rounds', flush=True)
            return
        rounds += 1
        conn.sendall(b'round %d: ' % rounds + data.upper())


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(5)
        print('listening on %s:%d' % server.getsockname(), flush=True)
        served = 0
        while True:  # outer loop: one client after another, the server keeps running
            conn, addr = server.accept()
            served += 1
            print(f'client #{served} connected from {addr[0]}:{addr[1]}', flush=True)
            with conn:
                try:
                    serve_one(conn, addr)
                # Catch only what you expect. A bare `except: break` would also swallow Ctrl+C
                # (KeyboardInterrupt: the server could not be stopped) and hide real bugs such as a
                # TypeError from sending a str - the loop would just end, silently.
                except ConnectionResetError:  # the peer aborted (RST) instead of closing politely
                    print(f'{addr[0]}:{addr[1]} reset the connection', flush=True)


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
