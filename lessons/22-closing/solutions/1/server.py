#!/usr/bin/env python3
"""Lesson 22, exercise 1 (a reference solution): in echo mode, answer after the client's FIN, then close.

Run:  python3 -u server.py [PORT]      (or set SOCKET_LAB_PORT; default 9022)

The client's first line picks what the server does:
  echo   echo lines until the client closes (the CLIENT closes first)
  close  send "bye" and close at once (the SERVER closes first)
  reset  send "bye" and close with SO_LINGER 0: an RST instead of a FIN
  half   read until the client's FIN (its shutdown(SHUT_WR)), then answer, then close
"""
import os
import socket
import sys
import time

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9022'))


def handle(conn: socket.socket, peer: str) -> None:
    f = conn.makefile('rb')
    mode = f.readline().strip().decode(errors='replace')
    print(f'{peer}: mode {mode!r}', flush=True)
    if mode == 'close':
        conn.sendall(b'bye\n')
        conn.close()  # our FIN goes first: this side will sit in TIME_WAIT
    elif mode == 'reset':
        conn.sendall(b'bye\n')
        # struct linger {int l_onoff; int l_linger;} is a kernel struct, in this machine's own byte order
        # (not wire data). l_onoff=1, l_linger=0: close() drops anything unsent and sends RST - no FIN, no TIME_WAIT
        linger = (1).to_bytes(4, sys.byteorder) + (0).to_bytes(4, sys.byteorder)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        conn.close()
    elif mode == 'half':
        got = f.read()  # reads until b'': the client's FIN, sent by its shutdown(SHUT_WR)
        print(f'{peer}: client finished sending ({len(got)} bytes); we can still answer', flush=True)
        time.sleep(0.8)  # "thinking": meanwhile the client sits in FIN_WAIT2 and we in CLOSE_WAIT
        conn.sendall(f'got {len(got)} bytes after your shutdown\n'.encode())
        conn.close()
    else:  # echo
        lines = 0
        for line in f:  # ends when the client's FIN arrives
            conn.sendall(line.upper())
            lines += 1
        # the client's FIN closed only ITS direction: ours is still open, so we can still send
        conn.sendall(f'bye after {lines} lines\n'.encode())
        conn.close()  # the client closed first: its side waits in TIME_WAIT, ours is gone at once
    f.close()
    print(f'{peer}: closed', flush=True)


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(5)
        print('listening on %s:%d' % server.getsockname(), flush=True)
        while True:
            conn, addr = server.accept()
            try:
                handle(conn, f'{addr[0]}:{addr[1]}')
            except ConnectionError as e:
                print(f'{addr[0]}:{addr[1]}: {e!r}', flush=True)
                conn.close()


if __name__ == '__main__':
    main()
