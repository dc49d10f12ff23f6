#!/usr/bin/env python3
"""Lesson 16 (capstone) - uploads a file with a progress bar and resumes an interrupted upload.

Run:  python3 -u client.py [PORT] [FILE] [--stop-after BYTES]
      Without FILE it uploads a 2 MiB demo file. --stop-after breaks the connection on purpose;
      run again without it and the upload resumes where it stopped.
"""
import argparse
import os
import random
import socket
import sys
import tempfile

from protocol import CHUNK, md5_of_file, proof, recv_json, send_json

HOST = '127.0.0.1'


def demo_file() -> str:
    path = os.path.join(tempfile.gettempdir(), 'socket-lab-16-demo.bin')
    if not os.path.exists(path):
        rng = random.Random(16)  # the same bytes every time, so a resumed upload still matches
        with open(path, 'wb') as f:
            f.write(bytes(rng.getrandbits(8) for _ in range(2 * 1024 * 1024)))
    return path


def progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // total if total else width
    end = '\n' if done >= total else '\r'
    print(f'[{"#" * filled}{"." * (width - filled)}] {done}/{total} bytes', end=end, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('port', nargs='?', type=int, default=int(os.environ.get('SOCKET_LAB_PORT', '9016')))
    ap.add_argument('file', nargs='?')
    ap.add_argument('--stop-after', type=int, default=None, help='break the connection after this many body bytes')
    ap.add_argument('--password', default=os.environ.get('SOCKET_LAB_PASSWORD', 'student'))
    args = ap.parse_args()
    path = args.file or demo_file()
    size, md5 = os.path.getsize(path), md5_of_file(path)

    with socket.create_connection((HOST, args.port), timeout=30) as sock:
        challenge = recv_json(sock)
        send_json(sock, {'type': 'login', 'user': 'student', 'proof': proof(args.password, challenge['nonce'])})
        if not recv_json(sock).get('ok'):
            sys.exit('login refused: wrong password')
        send_json(sock, {'type': 'upload', 'name': os.path.basename(path), 'size': size, 'md5': md5})
        ready = recv_json(sock)
        if ready.get('type') != 'ready':
            sys.exit(f'server refused: {ready.get("message")}')
        offset = int(ready['offset'])
        print(f'uploading {os.path.basename(path)} ({size} bytes, md5 {md5}) from offset {offset}', flush=True)
        sent = offset
        with open(path, 'rb') as f:
            f.seek(offset)  # resume: skip the bytes the server already has
            while sent < size:
                block = f.read(CHUNK)
                if args.stop_after is not None and sent - offset + len(block) > args.stop_after:
                    block = block[:max(0, args.stop_after - (sent - offset))]
                    sock.sendall(block)
                    sent += len(block)
                    print(f'\nstopping on purpose after {sent} bytes: run again to resume', flush=True)
                    return  # closing the socket mid-body = a broken transfer
                sock.sendall(block)
                sent += len(block)
                if sent == size or (sent // CHUNK) % 4 == 0:
                    progress(sent, size)
        result = recv_json(sock)
        print(f'server md5 {result.get("md5")}: {"OK" if result.get("ok") else "MISMATCH"}', flush=True)
        sys.exit(0 if result.get('ok') else 1)


if __name__ == '__main__':
    main()
