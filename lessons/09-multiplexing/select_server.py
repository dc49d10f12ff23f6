#!/usr/bin/env python3
"""Lesson 9 - the same idea with plain select.select() and a timeout (select is limited to ~1024 fds).

Run:  python3 -u select_server.py [PORT]  (or set SOCKET_LAB_PORT; default 9009)
"""
import os
import select
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9009'))


def main() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((HOST, PORT))
    server.listen(128)
    print('listening on %s:%d (select)' % server.getsockname(), flush=True)
    clients = []
    while True:
        readable, _, _ = select.select([server] + clients, [], [], 1.0)  # 1 s timeout: the loop stays alive
        for s in readable:
            if s is server:
                conn, _ = server.accept()
                clients.append(conn)
                print(f'{len(clients)} clients', flush=True)
                continue
            try:
                data = s.recv(4096)  # select said readable, so this returns at once
                if data:
                    s.sendall(data.upper())
                    continue
                why = 'closed'  # b'': the peer's FIN
            except (ConnectionResetError, BrokenPipeError) as e:
                # the peer aborted (RST): only this client is gone - the others must not notice
                why = f'reset the connection ({e.strerror})'
            # forget it first, then close: select() on a closed socket raises ValueError for everyone
            clients.remove(s)
            s.close()
            print(f'a client {why}; {len(clients)} clients', flush=True)


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
