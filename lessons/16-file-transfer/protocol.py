"""Lesson 16 - the wire format shared by server.py and client.py.

Control messages are JSON objects, each framed by a 4-byte '!I' length. The file body is raw
bytes right after the server's "ready" message, so the receiver counts bytes instead of parsing.
"""
import hashlib
import hmac
import json
import socket
import struct

HEADER = struct.Struct('!I')
MAX_CONTROL = 64 * 1024  # a JSON header is small; refuse anything larger
CHUNK = 64 * 1024


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), CHUNK))
        if not chunk:
            raise ConnectionError(f'connection closed with {n - len(buf)} of {n} bytes missing')
        buf += chunk
    return bytes(buf)


def send_json(sock: socket.socket, obj: dict) -> None:
    data = json.dumps(obj).encode('utf-8')
    sock.sendall(HEADER.pack(len(data)) + data)


def recv_json(sock: socket.socket) -> dict:
    (n,) = HEADER.unpack(recv_exact(sock, HEADER.size))
    if n > MAX_CONTROL:
        raise ValueError(f'control message of {n} bytes is too large')
    return json.loads(recv_exact(sock, n).decode('utf-8'))


def proof(password: str, nonce_hex: str) -> str:
    """Login answer: HMAC-SHA256 of the server's nonce; the password never crosses the wire."""
    return hmac.new(password.encode('utf-8'), bytes.fromhex(nonce_hex), 'sha256').hexdigest()


def md5_of_file(path: str) -> str:
    h = hashlib.md5()  # md5 is fine to detect corruption, not to resist an attacker
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(CHUNK), b''):
            h.update(block)
    return h.hexdigest()
