#!/usr/bin/env python3
"""Lesson 1, exercise 1 (a reference solution): send "ping", read the answer, then send "quit"."""
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9001'))


def ask(sock: socket.socket, text: str) -> str:
    sock.sendall(text.encode('utf-8'))
    reply = b''
    while len(reply) < len(text):  # the answer has as many bytes as the question
        chunk = sock.recv(1024)
        if not chunk:
            break
        reply += chunk
    return reply.decode('utf-8')


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect((HOST, PORT))
        print('reply:', ask(sock, 'ping'), flush=True)
        print('reply:', ask(sock, 'quit'), flush=True)


if __name__ == '__main__':
    main()
