#!/usr/bin/env python3
"""Lesson 21, exercise 1 (a reference solution): the receiver answers each datagram, naming the socket that got it.

Run:  python3 -u receiver.py [PORT] [ADDRESS ...]   (or set SOCKET_LAB_PORT; default 9021)
      default addresses: 127.255.255.255 (loopback's broadcast address) and 127.0.0.1

On Linux a UDP socket bound to a unicast address gets only datagrams sent to that address;
one bound to a broadcast address gets the broadcasts. (A socket bound to 0.0.0.0 gets both -
and everything from the network too, which is why the lessons never bind it.)
"""
import os
import selectors
import socket
import sys

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9021'))
ADDRESSES = sys.argv[2:] or ['127.255.255.255', '127.0.0.1']


def main() -> None:
    sel = selectors.DefaultSelector()
    for addr in ADDRESSES:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # several receivers may share the port
        s.bind((addr, PORT))
        sel.register(s, selectors.EVENT_READ, addr)
    print(f'listening on port {PORT} at ' + ', '.join(ADDRESSES), flush=True)
    while True:
        for key, _ in sel.select():
            data, src = key.fileobj.recvfrom(2048)
            print(f'socket bound to {key.data}: {len(data)} bytes from {src[0]}:{src[1]}: {data!r}', flush=True)
            # recvfrom() said who sent it: answer there, from the socket that got it
            key.fileobj.sendto(f'seen by {key.data}: '.encode() + data, src)


if __name__ == '__main__':
    main()
