#!/usr/bin/env python3
"""Lesson 3 - UDP client: sends a few datagrams, including an empty one, and reads each echo.

Run:  python3 -u client.py [PORT]      (or set SOCKET_LAB_PORT; default 9003)
"""
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9003'))
MESSAGES = [b'one', b'two', b'', b'three']  # b'' is still a datagram: an 8-byte UDP header and no payload


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2.0)  # UDP may lose a datagram; never wait forever for a reply
        for msg in MESSAGES:
            sock.sendto(msg, (HOST, PORT))  # no connect(), no handshake: the first packet carries data
            try:
                reply, addr = sock.recvfrom(65535)
                print(f'sent {len(msg)} bytes, got {len(reply)} bytes back: {reply!r}', flush=True)
            except socket.timeout:
                print(f'sent {len(msg)} bytes, no reply within 2 s (UDP does not retry)', flush=True)


if __name__ == '__main__':
    main()
