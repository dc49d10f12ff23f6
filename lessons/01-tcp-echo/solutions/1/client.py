#!/usr/bin/env python3
"""Lesson 1, exercise 1 (a reference solution): send "ping", read the answer, then send "quit" with its word."""
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9001'))


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect((HOST, PORT))
        sock.sendall(b'ping')
        answer = sock.recv(1024).decode('utf-8')  # "PING <word>": TCP may cut it, but a short answer comes whole here
        print('reply:', answer, flush=True)
        word = answer.split(' ', 1)[1]
        sock.sendall(f'quit {word}'.encode('utf-8'))
        print('reply:', sock.recv(1024).decode('utf-8'), flush=True)


if __name__ == '__main__':
    main()
