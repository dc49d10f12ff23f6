#!/usr/bin/env python3
"""Lesson 14, exercise 1 (a reference solution): a server on 127.0.0.2, a client that connects from 127.0.0.3.

Lesson 14 - the address a server binds decides who can connect; 127.0.0.1 and ::1 are two addresses.

1. A server on 127.0.0.1 (loopback only): this script connects to 127.0.0.1, to 127.0.0.2, to ::1
   and to this machine's own network address, and prints which connections succeed.
2. A second server on ::1, the same port number: now ::1 connects too - IPv4 and IPv6 are separate
   sockets. In a capture on lo, the two connections look different: IPv4 127.0.0.1 vs IPv6 ::1.
3. Only with --any: a server on 0.0.0.0 ("every IPv4 address of this machine"), reachable from
   other machines on your network too - run it only where you trust the network.
Run:  python3 -u bind_demo.py [PORT] [--any]   (or set SOCKET_LAB_PORT; default 9014)
"""
import errno
import os
import socket
import sys

ARGS = [a for a in sys.argv[1:] if a != '--any']
PORT = int(ARGS[0]) if ARGS else int(os.environ.get('SOCKET_LAB_PORT', '9014'))
ANY = '--any' in sys.argv
LOOPBACK = '127.0.0.1'
EVERY_IPV4_ADDRESS = '0.0.0.0'  # only used with --any
OTHER_LOOPBACK = '127.0.0.2'  # the exercise's server
CLIENT_ADDRESS = '127.0.0.3'  # the exercise's client


def own_address():
    """This machine's address on its default route, found without sending a packet (UDP connect only picks a route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(('192.0.2.1', 9))  # TEST-NET-1: never routed on the internet; nothing is sent
            addr = s.getsockname()[0]
        except OSError:
            return None  # no route at all (an isolated machine or network namespace)
    return None if addr.startswith('127.') else addr


def listen(family: int, host: str) -> socket.socket:
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((host, PORT))
    s.listen(8)  # the kernel completes handshakes by itself: no accept() needed for connect() to succeed
    return s


def try_connect(host: str) -> None:
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    shown = f'[{host}]:{PORT}' if family == socket.AF_INET6 else f'{host}:{PORT}'
    with socket.socket(family, socket.SOCK_STREAM) as c:
        c.settimeout(2)
        try:
            c.connect((host, PORT))
            print(f'  connect to {shown:<24} -> connected, from {c.getsockname()[0]}', flush=True)
        except ConnectionRefusedError:
            print(f'  connect to {shown:<24} -> refused: nothing listens on that address', flush=True)
        except OSError as e:
            print(f'  connect to {shown:<24} -> {e.strerror or e}', flush=True)


def main() -> None:
    mine = own_address()
    targets = [LOOPBACK, '127.0.0.2', '::1'] + ([mine] if mine else [])
    if not mine:
        print('(this machine has no network route: only loopback addresses to try)', flush=True)

    with listen(socket.AF_INET, LOOPBACK):
        print(f'1) a server bound to {LOOPBACK}:{PORT} - loopback only', flush=True)
        for host in targets:
            try_connect(host)
        try:
            six = listen(socket.AF_INET6, '::1')
        except OSError as e:
            six = None
            print(f'2) no IPv6 loopback here ({e.strerror}): skipped', flush=True)
        if six:
            with six:
                print(f'2) and a second server bound to [::1]:{PORT} - same port number, another address', flush=True)
                try_connect('::1')
                try_connect(LOOPBACK)
                try:
                    with socket.create_connection(('localhost', PORT), timeout=2) as c:
                        print(f"  connect to 'localhost' picked {c.getpeername()[0]} "
                              '(what localhost means comes from /etc/hosts)', flush=True)
                except OSError as e:
                    print(f"  connect to 'localhost' failed: {e}", flush=True)

    # the exercise: all of 127.0.0.0/8 is this machine's loopback, and a client may pick its own source address
    with listen(socket.AF_INET, OTHER_LOOPBACK):
        print(f'3) a server bound to {OTHER_LOOPBACK}:{PORT}, and a client bound to {CLIENT_ADDRESS} before connect()', flush=True)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as c:
            c.settimeout(2)
            c.bind((CLIENT_ADDRESS, 0))  # the source address; port 0: the kernel picks a free port
            c.connect((OTHER_LOOPBACK, PORT))
            print(f'  connected from {c.getsockname()[0]}:{c.getsockname()[1]} to {c.getpeername()[0]}:{PORT}', flush=True)

    if not ANY:
        print(f'4) run with --any to try a server on {EVERY_IPV4_ADDRESS} (every IPv4 address: reachable from '
              'your network too)', flush=True)
        return
    print(f'4) a server bound to {EVERY_IPV4_ADDRESS}:{PORT} - every IPv4 address of this machine, '
          'so other machines can connect too while it runs', flush=True)
    try:
        server = listen(socket.AF_INET, EVERY_IPV4_ADDRESS)
    except OSError as e:
        if e.errno != errno.EADDRINUSE:
            raise
        sys.exit(f'port {PORT} is in use: {e.strerror}')
    with server:
        for host in targets:
            try_connect(host)


if __name__ == '__main__':
    main()
