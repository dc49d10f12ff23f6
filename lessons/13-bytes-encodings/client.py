#!/usr/bin/env python3
"""Lesson 13 - sends text in the encoding you choose; the server shows which decoding matches.

Run:  python3 -u client.py [PORT] [ENCODING] [TEXT]   (default: utf-8, 年)
"""
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9013'))
ENCODING = sys.argv[2] if len(sys.argv) > 2 else 'utf-8'
TEXT = sys.argv[3] if len(sys.argv) > 3 else '年'


def main() -> None:
    data = TEXT.encode(ENCODING)  # sock.send('年') would raise TypeError: a str is not bytes
    print(f'sending {TEXT!r} as {ENCODING}: {data.hex(" ")}', flush=True)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect((HOST, PORT))
        sock.sendall(data)


if __name__ == '__main__':
    main()
