#!/usr/bin/env python3
"""Lesson 12 - an HTTP GET by hand: request bytes out, read until the server closes.

Run:  python3 -u client.py [PORT] [PATH]   (or set SOCKET_LAB_PORT; default 9012)
"""
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9012'))
PATH = sys.argv[2] if len(sys.argv) > 2 else '/'


def main() -> None:
    request = (f'GET {PATH} HTTP/1.1\r\n'
               f'Host: {HOST}:{PORT}\r\n'
               'Connection: close\r\n'
               '\r\n').encode('ascii')
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect((HOST, PORT))
        sock.sendall(request)
        response = b''
        while True:  # "Connection: close": the server's FIN marks the end of the response
            chunk = sock.recv(4096)
            if not chunk:
                break
            response += chunk
    head, _, body = response.partition(b'\r\n\r\n')
    print(head.decode('iso-8859-1'), flush=True)
    print(f'-- body: {len(body)} bytes --', flush=True)
    print(body.decode('utf-8', 'replace'), flush=True)


if __name__ == '__main__':
    main()
