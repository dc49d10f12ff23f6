#!/usr/bin/env python3
"""Lesson 13 - prints what arrives as hex, then decoded as utf-8 and as gbk.

Run:  python3 -u server.py [PORT]   (or set SOCKET_LAB_PORT; default 9013)
"""
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9013'))


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(5)
        print('listening on %s:%d' % server.getsockname(), flush=True)
        while True:
            conn, _ = server.accept()
            with conn:
                data = b''
                while True:  # read the whole message: a multi-byte character can be split across recv() calls
                    chunk = conn.recv(1024)
                    if not chunk:
                        break
                    data += chunk
                print(f'hex  : {data.hex(" ")}', flush=True)
                for enc in ('utf-8', 'gbk'):
                    print(f'{enc:<5}: {data.decode(enc, errors="replace")}', flush=True)


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
