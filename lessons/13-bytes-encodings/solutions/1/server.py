#!/usr/bin/env python3
"""Lesson 13, exercise 1 (a reference solution): answers, as the bytes arrive, with the same text in gbk.

An incremental decoder keeps the first bytes of a character that a recv() cut in two until the rest arrives.

Run:  python3 -u server.py [PORT]   (or set SOCKET_LAB_PORT; default 9013)
"""
import codecs
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
                decoder = codecs.getincrementaldecoder('utf-8')(errors='replace')
                while True:
                    chunk = conn.recv(1024)
                    if not chunk:
                        break
                    print(f'hex  : {chunk.hex(" ")}', flush=True)
                    text = decoder.decode(chunk)  # only whole characters; a cut one waits for its other bytes
                    if text:
                        print(f'utf-8: {text}', flush=True)
                        conn.sendall(text.encode('gbk', errors='replace'))
                rest = decoder.decode(b'', final=True)  # a character cut by the FIN becomes U+FFFD
                if rest:
                    conn.sendall(rest.encode('gbk', errors='replace'))


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
