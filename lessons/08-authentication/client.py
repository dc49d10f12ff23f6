#!/usr/bin/env python3
"""Lesson 8 - answers the server's challenge with HMAC-SHA256 of the shared key.

Run:  python3 -u client.py [PORT] [KEY]   (SOCKET_LAB_PORT, default 9008; KEY or SOCKET_LAB_KEY)
Try a wrong key: the server closes the connection.
"""
import hmac
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9008'))
KEY = (sys.argv[2] if len(sys.argv) > 2 else os.environ.get('SOCKET_LAB_KEY', 'socket-lab-demo-key')).encode('utf-8')


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b''
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError('the server closed the connection')
        buf += chunk
    return buf


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect((HOST, PORT))
        challenge = recv_exact(sock, 32)
        print(f'challenge: {challenge.hex(" ")}', flush=True)
        answer = hmac.new(KEY, challenge, 'sha256').digest()
        print(f'answer:    {answer.hex(" ")}', flush=True)
        sock.sendall(answer)
        try:
            welcome = sock.recv(1024)
        except ConnectionResetError:
            welcome = b''
        if not welcome:
            print('rejected: the server closed the connection (wrong key?)', flush=True)
            sys.exit(1)
        print(f'server: {welcome.decode().strip()}', flush=True)
        sock.sendall(b'hello after login')
        print(f'reply: {sock.recv(1024).decode()}', flush=True)


if __name__ == '__main__':
    main()
