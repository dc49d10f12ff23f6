#!/usr/bin/env python3
"""Lesson 6 - a "tiny ssh" that is safe by construction.

Tutorials build this with subprocess.Popen(cmd, shell=True) on 0.0.0.0: anyone on the network
can then run anything (try "ls; rm -rf ~"). This version:
  * listens on 127.0.0.1 only,
  * runs only commands from a fixed allow-list, as an argument list, never through a shell,
  * refuses shell syntax outright, caps output and run time,
  * stops itself after a few minutes (SOCKET_LAB_LIFETIME seconds, default 180).
Requests and replies are framed with a 4-byte '!I' length, because output can be far larger
than one recv() (the point of the lesson).

Run:  python3 -u server.py [PORT]      (or set SOCKET_LAB_PORT; default 9006)
"""
import os
import shlex
import socket
import struct
import subprocess
import sys
import threading

HOST = '127.0.0.1'  # never make this 0.0.0.0: a remote shell must not be reachable from the network
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9006'))
LIFETIME = float(os.environ.get('SOCKET_LAB_LIFETIME', '180'))
ALLOWED = {'ls', 'pwd', 'date', 'whoami', 'uname', 'echo', 'hostname'}  # harmless, read-only commands
SHELL_SYNTAX = set(';|&$`<>(){}*?~\\\n')  # a shell would act on these; we never start one, so we refuse them
MAX_OUTPUT = 1024 * 1024
HEADER = struct.Struct('!I')


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b''
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError('peer closed')
        buf += chunk
    return buf


def send_msg(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(HEADER.pack(len(payload)) + payload)


def run_command(line: str) -> bytes:
    """Check a command line against the allow-list and run it without a shell."""
    if any(ch in SHELL_SYNTAX for ch in line):
        return b'refused: shell syntax (; | & $ ` < > ...) is not allowed - each request is one command\n'
    try:
        argv = shlex.split(line)  # split like a shell would, but never execute like one
    except ValueError as e:
        return f'refused: {e}\n'.encode()
    if not argv:
        return b'refused: empty command\n'
    if argv[0] not in ALLOWED:
        return f'refused: {argv[0]!r} is not in the allow-list {sorted(ALLOWED)}\n'.encode()
    try:
        # an argument list and shell=False: the program gets exactly these words, nothing is interpreted
        done = subprocess.run(argv, shell=False, capture_output=True, timeout=5, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f'error: {e}\n'.encode()
    out = done.stdout + done.stderr
    return out[:MAX_OUTPUT] if out else b'(no output)\n'


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(1)
        # the server ends itself, so a forgotten lesson never stays open
        timer = threading.Timer(LIFETIME, lambda: os._exit(0))
        timer.daemon = True
        timer.start()
        print('listening on %s:%d (stops by itself after %d s; allowed: %s)'
              % (*server.getsockname(), LIFETIME, ' '.join(sorted(ALLOWED))), flush=True)
        while True:
            conn, addr = server.accept()
            with conn:
                print(f'client {addr[0]}:{addr[1]}', flush=True)
                try:
                    while True:
                        (n,) = HEADER.unpack(recv_exact(conn, HEADER.size))
                        if n > 4096:
                            break
                        line = recv_exact(conn, n).decode('utf-8', 'replace')
                        reply = run_command(line)
                        print(f'command {line!r} -> {len(reply)} bytes', flush=True)
                        send_msg(conn, reply)
                except ConnectionError:
                    pass


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
