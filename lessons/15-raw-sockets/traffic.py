#!/usr/bin/env python3
"""Lesson 15 - makes one small TCP conversation on 127.0.0.1:PORT for the sniffer to see.

Run:  python3 -u traffic.py [PORT]   (or set SOCKET_LAB_PORT; default 9015)
"""
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9015'))


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(1)
        with socket.create_connection((HOST, PORT)) as client:  # SYN, SYN-ACK, ACK
            conn, _ = server.accept()
            with conn:
                client.sendall(b'hello raw sockets')  # a data segment with PSH,ACK
                print('server got', conn.recv(1024), flush=True)
                conn.sendall(b'HELLO RAW SOCKETS')
                print('client got', client.recv(1024), flush=True)
        # both sides close: FIN/ACK in each direction
    print('conversation done', flush=True)


if __name__ == '__main__':
    main()
