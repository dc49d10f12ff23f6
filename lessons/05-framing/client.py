#!/usr/bin/env python3
"""Lesson 5 - three small framed requests in ONE write, then a 1 MiB reply received whole.

Run:  python3 -u client.py [PORT] [SIZE]    (or set SOCKET_LAB_PORT; default 9005, SIZE 1048576)
"""
import hashlib
import os
import socket
import sys

from framing import frame, recv_msg, send_msg

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9005'))
SIZE = int(sys.argv[2]) if len(sys.argv) > 2 else 1024 * 1024


def pattern(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect((HOST, PORT))
        # 1) three messages merged on purpose: one sendall(), one TCP segment on loopback - the
        #    "sticky packets" of lesson 4. No acknowledgement between them: the prefixes split them.
        small = [b'3', b'5', b'17']
        merged = b''.join(frame(m) for m in small)
        sock.sendall(merged)
        print(f'sent {len(small)} messages in one sendall(): {len(merged)} bytes {merged.hex(" ")}', flush=True)
        ok = True
        for i, m in enumerate(small, 1):
            body = recv_msg(sock)
            good = body == pattern(int(m))
            ok = ok and good
            print(f'reply {i}: {len(body)} bytes, {"correct" if good else "WRONG"}', flush=True)
        # 2) one large reply: TCP cuts it into many pieces, recv_exact() joins them
        send_msg(sock, str(SIZE).encode('ascii'))
        body = recv_msg(sock)  # one call, one whole message: the loop lives in recv_exact()
        good = body == pattern(SIZE)
        ok = ok and good
        print(f'received {len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()[:16]}, '
              f'{"whole and correct" if good else "CORRUPT"}', flush=True)
    # leaving the with-block closes the socket between messages: the server sees a clean close
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
