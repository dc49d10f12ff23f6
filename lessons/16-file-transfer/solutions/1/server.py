#!/usr/bin/env python3
"""Lesson 16 (capstone), exercise 1 (a reference solution): three tries to log in, each with a new challenge.

Run:  python3 -u server.py [PORT]   (SOCKET_LAB_PORT, default 9016; files go to SOCKET_LAB_DIR,
      default <tmp>/socket-lab-16-received; password from SOCKET_LAB_PASSWORD, default "student")
"""
import hashlib
import hmac
import os
import socket
import sys
import tempfile

from protocol import CHUNK, proof, recv_json, send_json

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9016'))
STORE = os.environ.get('SOCKET_LAB_DIR', os.path.join(tempfile.gettempdir(), 'socket-lab-16-received'))
PASSWORD = os.environ.get('SOCKET_LAB_PASSWORD', 'student')


TRIES = 3


def login(conn: socket.socket) -> bool:
    for _ in range(TRIES):
        nonce = os.urandom(16).hex()  # a new nonce for every try: a proof seen on the wire is worth nothing later
        send_json(conn, {'type': 'challenge', 'nonce': nonce})
        msg = recv_json(conn)
        ok = msg.get('type') == 'login' and hmac.compare_digest(str(msg.get('proof', '')), proof(PASSWORD, nonce))
        send_json(conn, {'type': 'login', 'ok': ok})
        if ok:
            return True
    return False  # the caller closes the connection: no fourth try


def receive_file(conn: socket.socket) -> None:
    head = recv_json(conn)  # {"type": "upload", "name": ..., "size": ..., "md5": ...}
    name = os.path.basename(str(head.get('name', '')))  # never let a client pick a path like ../../.bashrc
    size, md5 = int(head.get('size', -1)), str(head.get('md5', ''))
    if head.get('type') != 'upload' or not name or name.startswith('.') or size < 0:
        send_json(conn, {'type': 'error', 'message': 'bad upload header'})
        return
    final, partial = os.path.join(STORE, name), os.path.join(STORE, name + '.part')
    offset = os.path.getsize(partial) if os.path.exists(partial) else 0
    if offset > size:  # a different file with the same name: start over
        offset = 0
        os.remove(partial)
    send_json(conn, {'type': 'ready', 'offset': offset})  # the client skips what we already have
    print(f'{name}: {size} bytes, resuming at {offset}', flush=True)

    digest = hashlib.md5()
    if offset:
        with open(partial, 'rb') as f:
            for block in iter(lambda: f.read(CHUNK), b''):
                digest.update(block)
    received = offset
    with open(partial, 'ab') as out:
        while received < size:
            chunk = conn.recv(min(CHUNK, size - received))
            if not chunk:  # the connection broke: keep the .part file for the next attempt
                print(f'{name}: connection lost at {received}/{size} bytes; partial file kept', flush=True)
                return
            out.write(chunk)
            digest.update(chunk)
            received += len(chunk)
    ok = digest.hexdigest() == md5
    if ok:
        os.replace(partial, final)
    else:
        os.remove(partial)
    send_json(conn, {'type': 'done', 'ok': ok, 'md5': digest.hexdigest()})
    print(f'{name}: complete, md5 {digest.hexdigest()} {"matches" if ok else "DOES NOT match"}', flush=True)


def main() -> None:
    os.makedirs(STORE, exist_ok=True)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(5)
        print('listening on %s:%d, storing in %s' % (*server.getsockname(), STORE), flush=True)
        while True:
            conn, addr = server.accept()
            with conn:
                try:
                    conn.settimeout(30)
                    if login(conn):
                        receive_file(conn)
                    else:
                        print(f'{addr[0]}:{addr[1]}: wrong password', flush=True)
                except (ConnectionError, ValueError, socket.timeout) as e:
                    print(f'{addr[0]}:{addr[1]}: {e}', flush=True)


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
