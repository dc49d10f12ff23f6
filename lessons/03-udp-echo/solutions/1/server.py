#!/usr/bin/env python3
"""Lesson 3, exercise 1 (a reference solution): one datagram in, two out: the echo, then its size.

Run:  python3 -u server.py [PORT]      (or set SOCKET_LAB_PORT; default 9003)
"""
import errno
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9003'))


def main() -> None:
    # SOCK_DGRAM = UDP: messages (datagrams) with boundaries, no connection, no delivery guarantee
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        # No SO_REUSEADDR here. A TCP server sets it to restart while old connections sit in TIME_WAIT;
        # UDP has no connections and no TIME_WAIT, so it is never needed. On UDP it means something
        # else: a second socket with it may bind the SAME port, and on Linux the last one bound then
        # receives every datagram - a second copy of this server would silently steal them all.
        # Without it, the second copy fails with "Address already in use", as it should.
        try:
            sock.bind((HOST, PORT))
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise
            sys.exit(f'port {PORT}/udp is already in use on {HOST} (another copy of this server?): {e.strerror}')
        print('listening on %s:%d (udp)' % sock.getsockname(), flush=True)
        count = 0
        while True:
            # one recvfrom() returns exactly one datagram - never half of one, never two glued together
            data, addr = sock.recvfrom(65535)
            count += 1
            print(f'datagram #{count} from {addr[0]}:{addr[1]}: {len(data)} bytes {data!r}', flush=True)
            sock.sendto(data.upper(), addr)  # the reply goes to whoever sent this datagram
            sock.sendto(b'%d bytes' % len(data), addr)  # a second sendto(): a second datagram, never glued to the first


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
