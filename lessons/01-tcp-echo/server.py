#!/usr/bin/env python3
"""Lesson 1 - TCP echo server: sends back, upper-cased, whatever one client sends.

Run:  python3 -u server.py [PORT]      (or set SOCKET_LAB_PORT; default 9001)
"""
import os
import socket
import sys

HOST = '127.0.0.1'  # loopback only: nothing outside this machine can reach the lesson
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9001'))


def main() -> None:
    # AF_INET = IPv4 addresses, SOCK_STREAM = TCP (a reliable byte stream)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        # lets a restarted server bind again while an old connection sits in TIME_WAIT
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(5)  # backlog: handshakes the kernel may finish before we call accept()
        print('listening on %s:%d' % server.getsockname(), flush=True)

        conn, addr = server.accept()  # returns once a client completed SYN, SYN-ACK, ACK
        with conn:
            print(f'connected by {addr[0]}:{addr[1]}', flush=True)
            while True:
                data = conn.recv(1024)  # bytes, at most 1024 - possibly fewer than were sent
                if not data:  # b'' means the client closed its side: its FIN arrived
                    break
                print(f'received {data!r}', flush=True)
                conn.sendall(data.upper())  # sendall() repeats send() until every byte is queued
        print('client closed the connection; server done', flush=True)


if __name__ == '__main__':
    main()
