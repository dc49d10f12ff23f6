#!/usr/bin/env python3
"""Lesson 8, exercise 1 (a reference solution): 2 seconds to answer the challenge, then the usual 10.

Lesson 8 - challenge-response authentication with HMAC-SHA256.

The server sends 32 random bytes; the client proves it knows the shared key by answering
hmac(key, challenge, sha256). The key itself never crosses the wire. A wrong answer is cut off.
Run:  python3 -u server.py [PORT]      (SOCKET_LAB_PORT, default 9008; key from SOCKET_LAB_KEY)
"""
import hmac
import os
import socket
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9008'))
KEY = os.environ.get('SOCKET_LAB_KEY', 'socket-lab-demo-key').encode('utf-8')


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b''
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError('peer closed during authentication')
        buf += chunk
    return buf


def authenticate(conn: socket.socket) -> bool:
    challenge = os.urandom(32)  # unpredictable and fresh per connection, so old answers cannot be replayed
    conn.sendall(challenge)
    # Python 3.8+ requires the digest argument; hmac.new(key, msg) alone raises
    # TypeError: Missing required parameter 'digestmod'.
    expected = hmac.new(KEY, challenge, 'sha256').digest()
    answer = recv_exact(conn, len(expected))
    # compare_digest takes the same time wherever the first difference is; == would leak it
    return hmac.compare_digest(expected, answer)


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(5)
        print('listening on %s:%d' % server.getsockname(), flush=True)
        while True:
            conn, addr = server.accept()
            with conn:
                who = f'{addr[0]}:{addr[1]}'
                try:
                    # a client that knows the key answers at once: one that does not answer holds this
                    # one-at-a-time server for 2 seconds at most, not 10
                    conn.settimeout(2)
                    if not authenticate(conn):
                        print(f'{who}: wrong key - connection closed', flush=True)
                        continue  # closing without a word: the client learns nothing about the key
                    print(f'{who}: authenticated', flush=True)
                    conn.settimeout(10)  # a silent client must not hold the server forever
                    conn.sendall(b'WELCOME\n')
                    while True:
                        data = conn.recv(1024)
                        if not data:
                            break
                        conn.sendall(data.upper())
                except (ConnectionError, socket.timeout) as e:
                    print(f'{who}: {e}', flush=True)


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
