#!/usr/bin/env python3
"""Lesson 17 - the same server with socketserver.ForkingTCPServer (Unix only).

Run:  python3 -u forking_server.py [PORT]      (or set SOCKET_LAB_PORT; default 9017)

ForkingTCPServer does the fork, the close of the copies and the reaping for you:
it calls waitpid(WNOHANG) for finished children after every request.
"""
import os
import socketserver
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9017'))


class UpperHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:  # runs in a fresh child process for each connection
        me = os.getpid()
        print(f'child {me}: serving {self.client_address[0]}:{self.client_address[1]}', flush=True)
        while True:
            data = self.request.recv(1024)
            if not data:
                break
            self.request.sendall(f'pid {me}: '.encode() + data.upper())


class Server(socketserver.ForkingTCPServer):
    allow_reuse_address = True  # SO_REUSEADDR before bind()
    max_children = 40  # more waiting children than this and the server blocks in waitpid()


def main() -> None:
    if not hasattr(socketserver, 'ForkingTCPServer'):
        sys.exit('ForkingTCPServer needs os.fork(), which Windows lacks: use ThreadingTCPServer (lesson 7) or mp_server.py')
    with Server((HOST, PORT), UpperHandler) as server:
        print(f'parent {os.getpid()}: listening on %s:%d' % server.server_address, flush=True)
        server.serve_forever()


if __name__ == '__main__':
    main()
