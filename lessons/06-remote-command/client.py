#!/usr/bin/env python3
"""Lesson 6 - sends commands to the lesson's server and prints each framed reply.

Run:  python3 -u client.py [PORT] [COMMAND ...]   (default commands: pwd, ls, a refused one)
"""
import os
import socket
import struct
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9006'))
COMMANDS = sys.argv[2:] or ['pwd', 'ls -l /', 'ls; touch /tmp/socket-lab-pwned']
HEADER = struct.Struct('!I')


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b''
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError('server closed the connection')
        buf += chunk
    return buf


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect((HOST, PORT))
        for command in COMMANDS:
            data = command.encode('utf-8')
            sock.sendall(HEADER.pack(len(data)) + data)
            (n,) = HEADER.unpack(recv_exact(sock, HEADER.size))
            output = recv_exact(sock, n)  # the whole output, even when it is far larger than one recv()
            print(f'$ {command}  ({n} bytes)', flush=True)
            print(output.decode('utf-8', 'replace'), end='', flush=True)


if __name__ == '__main__':
    main()
