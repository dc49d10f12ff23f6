#!/usr/bin/env python3
"""Lesson 6, exercise 1 (a reference solution): a request over the limit gets a framed refusal before the close.

Lesson 6 - a "tiny ssh" that is safe by construction.

Tutorials build this with subprocess.Popen(cmd, shell=True) on 0.0.0.0: anyone on the network
can then run anything (try "ls; rm -rf ~"). This version:
  * listens on 127.0.0.1 only and drops any peer that is not loopback,
  * wants a shared token first (SOCKET_LAB_TOKEN, or the token file it creates, readable by you only),
  * runs only whole commands from a fixed table: the request names a command, it never adds
    arguments ("hostname pwned" or "ls /root" are refused, not run),
  * never starts a shell, caps output and run time,
  * stops itself after a few minutes (SOCKET_LAB_LIFETIME seconds, default 180).
Requests and replies are framed with a 4-byte '!I' length, because output can be far larger
than one recv() (the point of the lesson).

Run:  python3 -u server.py [PORT]      (or set SOCKET_LAB_PORT; default 9006)
"""
import hmac
import ipaddress
import os
import secrets
import socket
import struct
import subprocess
import sys
import threading

HOST = '127.0.0.1'  # never make this 0.0.0.0: a remote shell must not be reachable from the network
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9006'))
LIFETIME = float(os.environ.get('SOCKET_LAB_LIFETIME', '180'))
# The whole request must be one of these keys; the server runs the argument list beside it, exactly.
# Nothing from the network ever becomes an argument: "hostname NAME" would rename the machine,
# "hostname -F FILE" would read a file, "ls DIR" would list any folder, "date -s" would set the clock.
COMMANDS = {
    'pwd': ['pwd'],
    'ls': ['ls', '-l'],  # the server's own folder
    'ls -l /usr/bin': ['ls', '-l', '/usr/bin'],  # a long reply: the reason for the length prefix
    'date': ['date'],
    'whoami': ['whoami'],
    'uname': ['uname', '-a'],
    'hostname': ['hostname'],
}
SAFE_ENV = {'PATH': '/usr/bin:/bin', 'LC_ALL': 'C'}  # a fixed PATH: a program named "ls" in the caller's PATH is not ours
MAX_REQUEST = 4096
MAX_OUTPUT = 1024 * 1024
HEADER = struct.Struct('!I')


def token_file() -> str:
    """Where the token lives: SOCKET_LAB_TOKEN_FILE, or ~/.socket-lab/06-remote-command.token."""
    return os.environ.get('SOCKET_LAB_TOKEN_FILE') or os.path.join(os.path.expanduser('~'), '.socket-lab', '06-remote-command.token')


def load_token() -> bytes:
    """The shared secret: SOCKET_LAB_TOKEN if set, else the token file, created once with fresh random bytes."""
    if os.environ.get('SOCKET_LAB_TOKEN'):
        return os.environ['SOCKET_LAB_TOKEN'].encode('utf-8')
    path = token_file()
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    try:
        # O_EXCL: never reuse a file someone else put there; 0o600: only you can read it
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with open(path, 'rb') as f:
            return f.read().strip()
    with os.fdopen(fd, 'wb') as f:
        token = secrets.token_hex(16).encode('ascii')
        f.write(token + b'\n')
    return token


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b''
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError('peer closed')
        buf += chunk
    return buf


def recv_msg(sock: socket.socket) -> bytes:
    (n,) = HEADER.unpack(recv_exact(sock, HEADER.size))
    if n > MAX_REQUEST:
        # say why, framed like every reply, before closing - and never read (or allocate) the body
        send_msg(sock, b'refused: request too long\n')
        raise ConnectionError(f'request of {n} bytes is too long')
    return recv_exact(sock, n)


def send_msg(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(HEADER.pack(len(payload)) + payload)


def run_command(line: str) -> bytes:
    """Look the whole request up in the table and run its fixed argument list, without a shell."""
    argv = COMMANDS.get(line.strip())
    if argv is None:
        return (f'refused: {line.strip()[:80]!r} is not one of the allowed commands '
                f'({", ".join(COMMANDS)}); arguments are never taken from the request\n').encode()
    try:
        # an argument list and shell=False: the program gets exactly these words, nothing is interpreted
        done = subprocess.run(argv, shell=False, capture_output=True, timeout=5, stdin=subprocess.DEVNULL, env=SAFE_ENV)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f'error: {e}\n'.encode()
    out = done.stdout + done.stderr
    return out[:MAX_OUTPUT] if out else b'(no output)\n'


def serve(conn: socket.socket, token: bytes) -> None:
    conn.settimeout(30)  # a silent client must not hold this one-at-a-time server forever
    # compare_digest takes the same time wherever the first difference is; == would leak it
    if not hmac.compare_digest(recv_msg(conn), token):
        send_msg(conn, b'refused: wrong token - connection closed\n')
        print('wrong token - connection closed', flush=True)
        return
    send_msg(conn, b'ok: token accepted\n')
    while True:
        line = recv_msg(conn).decode('utf-8', 'replace')
        reply = run_command(line)
        print(f'command {line[:80]!r} -> {len(reply)} bytes', flush=True)
        send_msg(conn, reply)


def main() -> None:
    token = load_token()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((HOST, PORT))
        server.listen(1)
        # the server ends itself, so a forgotten lesson never stays open
        timer = threading.Timer(LIFETIME, lambda: os._exit(0))
        timer.daemon = True
        timer.start()
        source = 'SOCKET_LAB_TOKEN' if os.environ.get('SOCKET_LAB_TOKEN') else token_file()
        print('listening on %s:%d (stops by itself after %d s; token from %s; allowed: %s)'
              % (*server.getsockname(), LIFETIME, source, ', '.join(COMMANDS)), flush=True)
        while True:
            conn, addr = server.accept()
            with conn:
                if not ipaddress.ip_address(addr[0]).is_loopback:
                    continue  # bound to 127.0.0.1 already; this is the second lock on the same door
                print(f'client {addr[0]}:{addr[1]}', flush=True)
                try:
                    serve(conn, token)
                except (ConnectionError, OSError):
                    pass


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
