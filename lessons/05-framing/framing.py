"""Lesson 5 - length-prefixed framing helpers shared by the server and the client.

Each message is a 4-byte unsigned length in network byte order ('!I'), then exactly that many bytes.
"""
import socket
import struct

HEADER = struct.Struct('!I')  # '!' = network (big-endian) order, 'I' = unsigned 32-bit; never native 'i'
MAX_MESSAGE = 64 * 1024 * 1024  # refuse absurd lengths instead of trying to allocate them


def recv_exact(sock: socket.socket, n: int) -> bytes:
    """Read exactly n bytes: recv() may return fewer, so loop until all are in."""
    parts = []
    remaining = n
    while remaining:
        chunk = sock.recv(min(remaining, 65536))
        if not chunk:
            raise ConnectionError(f'peer closed with {remaining} of {n} bytes still missing')
        parts.append(chunk)
        remaining -= len(chunk)
    return b''.join(parts)


def send_msg(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(HEADER.pack(len(payload)) + payload)


def recv_msg(sock: socket.socket) -> bytes:
    (length,) = HEADER.unpack(recv_exact(sock, HEADER.size))
    if length > MAX_MESSAGE:
        raise ValueError(f'message of {length} bytes is larger than the {MAX_MESSAGE}-byte limit')
    return recv_exact(sock, length)
