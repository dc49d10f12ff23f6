#!/usr/bin/env python3
"""Lesson 18, exercise 1 (a reference solution): the echo server closes connections idle for 2 seconds.

Run:  python3 -u server.py [PORT] [--poll]   (or set SOCKET_LAB_PORT; default 9018)

Like lesson 9's select() server, one thread serves every client; the difference is how
the kernel is asked "which sockets are ready?":
  select  - you pass every socket on every call; the kernel scans them all; fd < 1024 only
  poll    - same idea, a list of (fd, events) with no 1024 limit; still a scan per call
  epoll   - you register a socket once; the kernel keeps the ready list; a call costs
            what is ready, not what is registered
"""
import os
import select
import socket
import sys
import time

HOST = '127.0.0.1'
IDLE = 2.0  # seconds without data before a connection is closed
PORT = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else int(os.environ.get('SOCKET_LAB_PORT', '9018'))


class Poller:
    """The few calls this server needs, on epoll when the OS has it, else poll."""

    def __init__(self, want_poll: bool) -> None:
        if hasattr(select, 'epoll') and not want_poll:
            self.name, self.p = 'epoll', select.epoll()
            self.IN, self.ERR = select.EPOLLIN, select.EPOLLERR | select.EPOLLHUP
        elif hasattr(select, 'poll'):
            self.name, self.p = 'poll', select.poll()
            self.IN, self.ERR = select.POLLIN, select.POLLERR | select.POLLHUP
        else:
            sys.exit('neither epoll nor poll exists here (Windows): use selectors, as in lesson 9')

    def register(self, fd: int) -> None:
        self.p.register(fd, self.IN)  # level-triggered: reported while unread bytes remain

    def unregister(self, fd: int) -> None:
        self.p.unregister(fd)

    def wait(self, seconds=None):
        # epoll.poll() takes seconds, poll.poll() milliseconds: the same number would mean 1000 times longer.
        # None = wait as long as it takes
        if seconds is None or self.name == 'epoll':
            return self.p.poll(seconds)
        return self.p.poll(int(seconds * 1000))


def main() -> None:
    poller = Poller('--poll' in sys.argv)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((HOST, PORT))
    server.listen(64)
    server.setblocking(False)
    poller.register(server.fileno())
    conns: dict[int, socket.socket] = {}  # epoll and poll report file descriptors, not socket objects
    last: dict[int, float] = {}  # fd -> when data last came

    def drop(fd: int, why: str) -> None:
        poller.unregister(fd)  # unregister before close: the fd number will be reused
        conns.pop(fd).close()
        del last[fd]
        print(f'a client {why}; {len(conns)} open', flush=True)
    print(f'{poller.name} server, pid {os.getpid()}: listening on %s:%d' % server.getsockname(), flush=True)
    while True:
        now = time.monotonic()
        # wake up no later than the moment the oldest silence reaches IDLE
        timeout = max(0.0, min(last.values()) + IDLE - now) if last else None
        events_list = poller.wait(timeout)
        now = time.monotonic()
        for fd in [fd for fd, t in last.items() if now - t >= IDLE]:
            drop(fd, f'was idle for {IDLE:g} s')
        for fd, events in events_list:
            if fd == server.fileno():
                conn, addr = server.accept()
                conn.setblocking(False)
                conns[conn.fileno()] = conn
                last[conn.fileno()] = time.monotonic()
                poller.register(conn.fileno())
                print(f'{addr[0]}:{addr[1]} connected; {len(conns)} open', flush=True)
                continue
            conn = conns.get(fd)
            if conn is None:  # closed above for idleness in this same round
                continue
            try:
                data = conn.recv(4096) if events & (poller.IN | poller.ERR) else b''
            except (BlockingIOError, InterruptedError):
                continue
            except ConnectionError:
                data = b''
            if data:
                last[fd] = time.monotonic()
                conn.sendall(data.upper())  # small replies; lesson 9's exercise shows EVENT_WRITE
            else:
                drop(fd, 'closed')


if __name__ == '__main__':
    main()
