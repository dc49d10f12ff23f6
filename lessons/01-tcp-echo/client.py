#!/usr/bin/env python3
"""Lesson 1 - TCP echo client: sends one message and prints the upper-cased echo.

Run:  python3 -u client.py [PORT] [MESSAGE]   (or set SOCKET_LAB_PORT; default 9001)
"""
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9001'))
MESSAGE = sys.argv[2] if len(sys.argv) > 2 else 'hello, socket lab'


def main() -> None:
    payload = MESSAGE.encode('utf-8')  # the wire carries bytes, never str
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect((HOST, PORT))  # the kernel performs the three-way handshake here
        print(f'connected from {sock.getsockname()[0]}:{sock.getsockname()[1]}', flush=True)
        sock.sendall(payload)

        # TCP may deliver the echo in pieces, so read until we have as many bytes as we sent
        reply = b''
        while len(reply) < len(payload):
            chunk = sock.recv(1024)
            if not chunk:  # server went away early
                break
            reply += chunk
        print(f'reply: {reply.decode("utf-8")}', flush=True)
    # leaving the with-block closes the socket: our FIN starts the teardown


if __name__ == '__main__':
    main()
