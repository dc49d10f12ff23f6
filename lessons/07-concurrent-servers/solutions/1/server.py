#!/usr/bin/env python3
"""Lesson 7, exercise 1 (a reference solution): each reply numbered per connection, "1: TEXT", "2: TEXT" ...

Lesson 7 - socketserver.ThreadingTCPServer: one thread and one handler object per connection.

Each handler takes its time (0.5 s) before answering, so while one client waits the others are
still served. The server prints how many connections it handles at the same moment.
Run:  python3 -u server.py [PORT] [--one-at-a-time] [--backlog N]   (or set SOCKET_LAB_PORT; default 9007)
      --one-at-a-time  plain socketserver.TCPServer, no threads (exercise 1)
      --backlog N      listen(N): how many finished handshakes may wait for accept() (default 5)
"""
import os
import socketserver
import sys
import threading
import time

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else int(os.environ.get('SOCKET_LAB_PORT', '9007'))
ONE_AT_A_TIME = '--one-at-a-time' in sys.argv
BACKLOG = int(sys.argv[sys.argv.index('--backlog') + 1]) if '--backlog' in sys.argv else 5

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
        # an attribute of self belongs to this connection alone: socketserver makes one handler object
        # per connection (a global or a class attribute would be shared by all of them, across threads)
        self.replies = 0
        try:
            while True:
                data = self.request.recv(1024)
                if not data:
                    break
                time.sleep(0.5)  # slow work; a one-at-a-time server would make everyone else wait
                self.replies += 1
                self.request.sendall(b'%d: %s' % (self.replies, data.upper()))
        finally:
            with lock:
                active -= 1
                print(f'{self.client_address[1]}: done, {active} active (peak {peak})', flush=True)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True  # SO_REUSEADDR, set before bind()
    daemon_threads = True  # handler threads do not keep the process alive on Ctrl+C
    # listen(request_queue_size): the backlog - connections whose handshake the kernel has finished
    # but that accept() has not taken yet. Not a limit on clients served at once: here a thread
    # accepts each one at once, so the queue stays nearly empty.
    request_queue_size = BACKLOG


class OneAtATimeServer(socketserver.TCPServer):
    """Exercise 1: no threads. accept() is called again only after handle() returns."""
    allow_reuse_address = True
    request_queue_size = BACKLOG


def main() -> None:
    cls = OneAtATimeServer if ONE_AT_A_TIME else Server
    with cls((HOST, PORT), UpperHandler) as server:
        print('listening on %s:%d' % server.server_address,
              f'({cls.__bases__[0].__name__}, backlog {BACKLOG})', flush=True)
        server.serve_forever()

if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
