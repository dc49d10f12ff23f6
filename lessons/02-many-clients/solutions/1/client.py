#!/usr/bin/env python3
"""Lesson 2, exercise 1 (a reference solution): several rounds, then "exit", wait for "bye", then close.

Run:  python3 -u client.py [PORT] [ROUNDS]   (or set SOCKET_LAB_PORT; default 9002)
"""
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9002'))
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect((HOST, PORT))
        for i in range(1, ROUNDS + 1):
            sock.sendall(f'message {i}'.encode('utf-8'))
            # one reply per round; a short line fits in one recv() on loopback, lesson 4 shows when it does not
            reply = sock.recv(1024)
            if not reply:
                print('server closed the connection', flush=True)
                return
            print(f'reply: {reply.decode("utf-8")}', flush=True)
        # say goodbye as bytes (the server compares with b'exit'), and wait for its answer before closing
        sock.sendall(b'exit')
        answer = b''
        while not answer.endswith(b'\n'):
            chunk = sock.recv(1024)
            if not chunk:
                break
            answer += chunk
        print(f'server: {answer.decode("utf-8").strip()}', flush=True)


if __name__ == '__main__':
    main()
