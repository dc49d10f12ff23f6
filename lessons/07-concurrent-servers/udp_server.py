#!/usr/bin/env python3
"""Lesson 7 - socketserver.ThreadingUDPServer: each datagram is handled in its own thread.

Run:  python3 -u udp_server.py [PORT]  (or set SOCKET_LAB_PORT; default 9007)
"""
import os
import socketserver
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9007'))


class UpperDatagramHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request  # for UDP, request is (datagram bytes, the server's socket)
        print(f'{self.client_address[0]}:{self.client_address[1]} sent {len(data)} bytes', flush=True)
        sock.sendto(data.upper(), self.client_address)


class Server(socketserver.ThreadingUDPServer):
    # no allow_reuse_address here: on UDP, SO_REUSEADDR lets a second copy bind the same port and
    # (on Linux) take every datagram from the first - see lesson 3
    daemon_threads = True


def main() -> None:
    try:
        server = Server((HOST, PORT), UpperDatagramHandler)
    except OSError as e:
        sys.exit(f'port {PORT}/udp is already in use on {HOST} (another copy of this server?): {e.strerror}')
    with server:
        print('listening on %s:%d (udp)' % server.server_address, flush=True)
        server.serve_forever()


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
