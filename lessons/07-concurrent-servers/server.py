#!/usr/bin/env python3
"""Lesson 7 - socketserver.ThreadingTCPServer: one thread and one handler object per connection.

Each handler takes its time (0.5 s) before answering, so while one client waits the others are
still served. The server prints how many connections it handles at the same moment.
Run:  python3 -u server.py [PORT]      (or set SOCKET_LAB_PORT; default 9007)
"""
import os
import socketserver
import sys
import threading
import time

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9007'))

lock = threading.Lock()
active = 0
peak = 0


class UpperHandler(socketserver.BaseRequestHandler):
    """socketserver creates one of these per accepted connection, in its own thread."""

    def handle(self) -> None:
        global active, peak
        with lock:
            active += 1
            peak = max(peak, active)
            print(f'{self.client_address[1]}: start, {active} active (peak {peak})', flush=True)
        try:
            while True:
                data = self.request.recv(1024)
                if not data:
                    break
                time.sleep(0.5)  # slow work; a one-at-a-time server would make everyone else wait
                self.request.sendall(data.upper())
        finally:
            with lock:
                active -= 1
                print(f'{self.client_address[1]}: done, {active} active (peak {peak})', flush=True)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True  # SO_REUSEADDR, set before bind()
    daemon_threads = True  # handler threads do not keep the process alive on Ctrl+C


def main() -> None:
    with Server((HOST, PORT), UpperHandler) as server:
        print('listening on %s:%d' % server.server_address, flush=True)
        server.serve_forever()


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
