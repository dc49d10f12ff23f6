#!/usr/bin/env python3
"""Lesson 17, exercises 1 and 2 (a reference solution): each client is first told how many children are alive.

Run:  python3 -u server.py [PORT]      (or set SOCKET_LAB_PORT; default 9017)
Unix only: Windows has no os.fork() (see mp_server.py for what works there too).
"""
import os
import signal
import socket
import sys

HOST = '127.0.0.1'  # loopback only
children = 0  # alive, not yet reaped: +1 at each fork, -1 for each child waitpid() collects
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9017'))


def reap_children(signum, frame) -> None:
    """SIGCHLD: one or more children ended. Collect every one, or they stay zombies.

    Signals do not queue: three children ending together may raise one SIGCHLD,
    so loop with WNOHANG until there is nobody left to collect.
    """
    global children
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:  # no children at all
            return
        if pid == 0:  # children exist, but none has ended yet
            return
        children -= 1  # the parent learns that a child ended only here
        print(f'parent {os.getpid()}: reaped child {pid} (exit code {os.waitstatus_to_exitcode(status)})', flush=True)


def serve_one(conn: socket.socket, addr) -> None:
    """What a child does: talk to one client, then end."""
    me = os.getpid()
    print(f'child {me}: serving {addr[0]}:{addr[1]}', flush=True)
    while True:
        data = conn.recv(1024)
        if not data:  # the client's FIN
            break
        conn.sendall(f'pid {me}: '.encode() + data.upper())
    conn.close()


def main() -> None:
    global children
    if not hasattr(os, 'fork'):
        sys.exit('os.fork() does not exist on this system (Windows): run mp_server.py instead')
    signal.signal(signal.SIGCHLD, reap_children)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(16)
        print(f'parent {os.getpid()}: listening on %s:%d' % server.getsockname(), flush=True)
        while True:
            # Python retries accept() when SIGCHLD interrupts it (PEP 475), so no EINTR handling here
            conn, addr = server.accept()
            children += 1  # before fork(): the SIGCHLD of a very quick child can only come after this
            conn.sendall(f'children: {children}\n'.encode())
            pid = os.fork()  # from here on two processes run this code, each with a copy of both sockets
            if pid == 0:
                # the child: it never accepts, so it closes its copy of the listening socket
                server.close()
                try:
                    serve_one(conn, addr)
                finally:
                    os._exit(0)  # _exit, not sys.exit: never fall back into the parent's accept loop
            # the parent: close ITS copy of the connection. Without this the connection stays open
            # after the child closes it, and the client never sees a FIN.
            conn.close()
            print(f'parent {os.getpid()}: forked child {pid} for {addr[0]}:{addr[1]}', flush=True)


if __name__ == '__main__':
    main()
