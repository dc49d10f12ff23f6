#!/usr/bin/env python3
"""Lesson 6 - presents the shared token, sends commands to the lesson's server and prints each framed reply.

Run:  python3 -u client.py [PORT] [COMMAND ...]   (default: pwd, ls -l /usr/bin and two refused ones)
The token comes from SOCKET_LAB_TOKEN, or from the file the server created
(SOCKET_LAB_TOKEN_FILE, default ~/.socket-lab/06-remote-command.token).
"""
import os
import socket
import struct
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9006'))
COMMANDS = sys.argv[2:] or ['pwd', 'ls -l /usr/bin', 'ls; touch /tmp/socket-lab-pwned', 'hostname pwned']
HEADER = struct.Struct('!I')


def read_token() -> bytes:
    if os.environ.get('SOCKET_LAB_TOKEN'):
        return os.environ['SOCKET_LAB_TOKEN'].encode('utf-8')
    path = os.environ.get('SOCKET_LAB_TOKEN_FILE') or os.path.join(os.path.expanduser('~'), '.socket-lab', '06-remote-command.token')
    try:
        with open(path, 'rb') as f:
            return f.read().strip()
    except OSError as e:
        sys.exit(f'no token: {e.strerror} ({path}); start the server first, it creates the token file')


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b''
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError('server closed the connection')
        buf += chunk
    return buf


def request(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(HEADER.pack(len(data)) + data)
    (n,) = HEADER.unpack(recv_exact(sock, HEADER.size))
    return recv_exact(sock, n)  # the whole reply, even when it is far larger than one recv()


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect((HOST, PORT))
        answer = request(sock, read_token())  # the first message is the token, never printed
        print(answer.decode('utf-8', 'replace'), end='', flush=True)
        if not answer.startswith(b'ok'):
            sys.exit(1)
        for command in COMMANDS:
            output = request(sock, command.encode('utf-8'))
            print(f'$ {command}  ({len(output)} bytes)', flush=True)
            print(output.decode('utf-8', 'replace'), end='', flush=True)


if __name__ == '__main__':
    main()
