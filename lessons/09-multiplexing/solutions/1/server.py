#!/usr/bin/env python3
"""Lesson 9, exercise 1 (a reference solution): the line "quit" gets BYE, and the server closes that connection.

Lesson 9 - one process, one thread, many sockets: the selectors module (epoll/kqueue/select).

Run:  python3 -u server.py [PORT]      (or set SOCKET_LAB_PORT; default 9009)
"""
import os
import selectors
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9009'))

sel = selectors.DefaultSelector()  # picks the best mechanism the OS offers
open_count = 0
peak = 0


def accept(server: socket.socket) -> None:
    global open_count, peak
    conn, addr = server.accept()
    conn.setblocking(False)  # a non-blocking socket never stalls the loop; recv raises instead of waiting
    sel.register(conn, selectors.EVENT_READ, data=b'')
    open_count += 1
    if open_count > peak:
        peak = open_count
        print(f'pid {os.getpid()}: {open_count} connections open at once', flush=True)


def serve(conn: socket.socket, pending: bytes) -> None:
    global open_count
    try:
        data = conn.recv(4096)
    except (BlockingIOError, InterruptedError):
        return
    except ConnectionResetError:
        data = b''
    if not data:
        sel.unregister(conn)
        conn.close()
        open_count -= 1
        return
    pending += data
    # answer each complete line; a real server would also watch EVENT_WRITE for large replies
    while b'\n' in pending:
        line, pending = pending.split(b'\n', 1)
        if line.strip() == b'quit':
            conn.sendall(b'BYE\n')
            sel.unregister(conn)  # unregister first, then close; what followed quit is dropped
            conn.close()
            open_count -= 1
            return
        conn.sendall(line.upper() + b'\n')
    sel.modify(conn, selectors.EVENT_READ, data=pending)


def main() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((HOST, PORT))
    server.listen(128)
    server.setblocking(False)
    sel.register(server, selectors.EVENT_READ, data=None)
    print('listening on %s:%d (selectors: %s)' % (*server.getsockname(), type(sel).__name__), flush=True)
    while True:
        for key, _ in sel.select(timeout=1.0):  # wakes when any registered socket is ready
            if key.data is None:
                accept(key.fileobj)
            else:
                serve(key.fileobj, key.data)


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
