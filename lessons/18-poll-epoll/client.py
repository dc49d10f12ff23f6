#!/usr/bin/env python3
"""Lesson 18 - level- vs edge-triggered epoll, running (Linux).

Run:  python3 -u client.py [PORT]      (or set SOCKET_LAB_PORT; default 9018; server.py must run)

Three connections to the echo server. On each we send 10 bytes, the server sends 10 back,
and we deliberately read only 4 bytes per readiness event:
  level-triggered (the default): epoll keeps reporting the socket while bytes remain -> 3 events
  edge-triggered (EPOLLET): epoll reports the moment bytes ARRIVE; read too little and the rest
      sits unreported until more data comes
  edge-triggered done right: on each event, read until recv() raises BlockingIOError
"""
import os
import select
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9018'))
WAIT = 0.5  # seconds each epoll.poll() may wait; every loop below is bounded


def connect() -> socket.socket:
    s = socket.create_connection((HOST, PORT), timeout=5)
    s.setblocking(False)
    return s


def wait_for_echo(s: socket.socket, expected: int) -> None:
    """Bounded wait until `expected` bytes are queued on the socket (so every run behaves the same).

    It peeks with select() and MSG_PEEK, never with the epoll object: an epoll_wait() here
    would consume the edge this demo wants to show.
    """
    for _ in range(50):
        select.select([s], [], [], 0.1)
        try:
            if len(s.recv(expected, socket.MSG_PEEK)) >= expected:
                return
        except BlockingIOError:
            pass


def level_triggered() -> None:
    s, ep = connect(), select.epoll()
    ep.register(s.fileno(), select.EPOLLIN)
    s.sendall(b'0123456789')
    wait_for_echo(s, 10)
    got, events = b'', 0
    while len(got) < 10 and events < 10:
        if not ep.poll(WAIT):
            break
        events += 1
        got += s.recv(4)  # too little on purpose
    print(f'level-triggered: {events} events, read {got!r} - reported again while bytes remained', flush=True)
    ep.close()
    s.close()


def edge_triggered(drain: bool) -> None:
    s, ep = connect(), select.epoll()
    ep.register(s.fileno(), select.EPOLLIN | select.EPOLLET)
    s.sendall(b'0123456789')
    wait_for_echo(s, 10)
    got, events = b'', 0
    while events < 10:
        if not ep.poll(WAIT):  # no NEW data arrived: no event, whatever is still unread
            break
        events += 1
        if drain:
            while True:  # the rule for edge triggering: read until the kernel says "nothing more"
                try:
                    chunk = s.recv(4)
                except BlockingIOError:
                    break
                if not chunk:
                    break
                got += chunk
        else:
            got += s.recv(4)
    left = len(s.recv(100, socket.MSG_PEEK)) if not drain else 0
    if drain:
        print(f'edge-triggered, read until BlockingIOError: {events} event, read {got!r}', flush=True)
    else:
        print(f'edge-triggered, one recv(4) per event: {events} event, read {got!r}; '
              f'{left} bytes still unread and no event for them', flush=True)
        s.sendall(b'!')  # new bytes arrive -> a new edge -> one more event
        wait_for_echo(s, left + 1)
        again = ep.poll(WAIT)
        print(f'after 1 more byte arrived (our "!" echoed): {len(again)} new event', flush=True)
    ep.close()
    s.close()


def main() -> None:
    if not hasattr(select, 'epoll'):
        sys.exit('select.epoll exists on Linux only; on macOS/BSD the same idea is select.kqueue (EV_CLEAR is its edge mode)')
    level_triggered()
    edge_triggered(drain=False)
    edge_triggered(drain=True)


if __name__ == '__main__':
    main()
