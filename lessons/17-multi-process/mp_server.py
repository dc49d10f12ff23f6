#!/usr/bin/env python3
"""Lesson 17 - one multiprocessing.Process per client; runs on Linux, macOS and Windows.

Run:  python3 -u mp_server.py [PORT] [--spawn]   (or set SOCKET_LAB_PORT; default 9017)
      --spawn uses Windows' start method on Linux too, so you can watch it here.

multiprocessing starts each process with the platform's start method: 'fork' on Linux
(before Python 3.14), 'spawn' on macOS and Windows. 'spawn' starts a fresh interpreter
that imports this file again - so everything that must run once belongs under
`if __name__ == '__main__':`, and the accepted socket is handed over by pickling
(multiprocessing duplicates the descriptor, or on Windows uses socket.share()).
"""
import multiprocessing
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9017'))


def handle(conn: socket.socket) -> None:
    me = os.getpid()
    with conn:
        print(f'process {me}: serving {conn.getpeername()[0]}:{conn.getpeername()[1]}', flush=True)
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(f'pid {me}: '.encode() + data.upper())


def main() -> None:
    if '--spawn' in sys.argv[2:]:
        multiprocessing.set_start_method('spawn')
    print(f'start method: {multiprocessing.get_start_method()}', flush=True)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(16)
        print(f'parent {os.getpid()}: listening on %s:%d' % server.getsockname(), flush=True)
        while True:
            conn, _ = server.accept()
            worker = multiprocessing.Process(target=handle, args=(conn,), daemon=True)
            worker.start()
            conn.close()  # the worker has its own copy now; ours would keep the connection open
            # active_children() joins (reaps) the processes that have ended: no zombies pile up
            print(f'parent: started process {worker.pid}; {len(multiprocessing.active_children())} running', flush=True)


if __name__ == '__main__':
    main()
