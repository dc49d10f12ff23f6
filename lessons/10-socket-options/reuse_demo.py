#!/usr/bin/env python3
"""Lesson 10 - SO_REUSEADDR, TIME_WAIT and CLOSE_WAIT, shown with the OS's own state table.

Part 1 uses a port of its own; part 2 talks to the lesson's server.py if it runs on PORT.
Run:  python3 -u reuse_demo.py [PORT]   (or set SOCKET_LAB_PORT; default 9010)
"""
import errno
import os
import socket
import sys
import time

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9010'))
STATES = {'01': 'ESTABLISHED', '06': 'TIME_WAIT', '08': 'CLOSE_WAIT', '0A': 'LISTEN', '07': 'CLOSE',
          '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '09': 'LAST_ACK'}


def states_on_port(port: int, peer_port: int = 0) -> list:
    """Read the kernel's TCP table (Linux /proc/net/tcp) for sockets whose local port is `port`
    (and, when given, whose peer port is `peer_port`: another old connection may have used the same local port)."""
    try:
        with open('/proc/net/tcp') as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        return ['(no /proc/net/tcp on this OS - use `netstat -an` or `ss -tan`)']
    found = []
    for row in rows:
        cols = row.split()
        local, remote, st = cols[1], cols[2], cols[3]
        remote_port = int(remote.split(':')[1], 16)
        if int(local.split(':')[1], 16) == port and peer_port in (0, remote_port):
            found.append(f'{STATES.get(st, st)} (peer port {remote_port})')
    return found


def part1_reuseaddr() -> None:
    print('--- part 1: TIME_WAIT and SO_REUSEADDR ---', flush=True)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Linux lets a new bind share a TIME_WAIT port only if the old socket had SO_REUSEADDR too
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, 0))  # port 0: the kernel picks a free port
    port = listener.getsockname()[1]
    listener.listen(1)
    client = socket.create_connection((HOST, port))
    conn, _ = listener.accept()
    conn.close()  # the server side closes first ...
    client.recv(1)  # ... the client sees the FIN (recv returns b'') ...
    client.close()  # ... and closes too; the first closer now sits in TIME_WAIT
    listener.close()
    time.sleep(0.2)
    print(f'port {port} after the server closed first: {", ".join(states_on_port(port)) or "nothing"}', flush=True)

    again = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        again.bind((HOST, port))
        print('bind without SO_REUSEADDR: succeeded (no TIME_WAIT left on this OS)', flush=True)
    except OSError as e:
        if e.errno != errno.EADDRINUSE:
            raise
        print(f'bind without SO_REUSEADDR: [Errno {e.errno}] {e.strerror}', flush=True)
    finally:
        again.close()

    again = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # must be set before bind()
    again.bind((HOST, port))
    print('bind with SO_REUSEADDR: succeeded', flush=True)
    again.close()


def part2_names_and_close_wait() -> None:
    print('--- part 2: getsockname/getpeername and CLOSE_WAIT (needs server.py) ---', flush=True)
    try:
        sock = socket.create_connection((HOST, PORT), timeout=3)
    except OSError as e:
        print(f'no server on {HOST}:{PORT} ({e.strerror}); run server.py to see part 2', flush=True)
        return
    with sock:
        me, peer = sock.getsockname(), sock.getpeername()
        print('getsockname()=%s:%d getpeername()=%s:%d' % (*me, *peer), flush=True)
        while sock.recv(1024):  # read until the server's FIN
            pass
        time.sleep(0.2)
        print(f'server closed first; our port {me[1]}: {", ".join(states_on_port(me[1], peer[1])) or "nothing"}', flush=True)
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    print('SO_BROADCAST default =', b.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST),
          '- a UDP socket must set it before sending to a broadcast address', flush=True)
    b.close()


if __name__ == '__main__':
    part1_reuseaddr()
    part2_names_and_close_wait()
