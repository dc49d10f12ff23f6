"""Lesson 5 - length-prefixed framing helpers shared by the server and the client.

Each message is a 4-byte unsigned length in network byte order ('!I'), then exactly that many bytes.
No acknowledgement is needed between messages (the tutorials' "send the size, wait for an ack, then
send the data" costs a round trip per message and still trusts one recv() to hold the size): the
length alone tells the receiver where each message ends, however the bytes were merged or cut.
"""
import socket
import struct
from typing import List, Optional, Tuple

HEADER = struct.Struct('!I')  # '!' = network (big-endian) order, 'I' = unsigned 32-bit; never native 'i'
MAX_MESSAGE = 64 * 1024 * 1024  # refuse absurd lengths instead of trying to allocate them


def recv_exact(sock: socket.socket, n: int, eof_ok: bool = False) -> bytes:
    """Read exactly n bytes: recv() may return fewer, so loop until all are in.

    A close before the first byte returns b'' when eof_ok (a clean end between messages); a close
    after some of the bytes arrived is always an error: the message was cut off.
    """
    parts = []
    remaining = n
    while remaining:
        chunk = sock.recv(min(remaining, 65536))
        if not chunk:
            if eof_ok and remaining == n:
                return b''
            raise ConnectionError(f'peer closed in the middle of a message: {remaining} of {n} bytes still missing')
        parts.append(chunk)
        remaining -= len(chunk)
    return b''.join(parts)


def send_msg(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(frame(payload))


def frame(payload: bytes) -> bytes:
    """The bytes of one framed message: the 4-byte length, then the payload."""
    return HEADER.pack(len(payload)) + payload


def recv_msg(sock: socket.socket) -> Optional[bytes]:
    """One whole message, or None when the peer closed cleanly at a message boundary."""
    head = recv_exact(sock, HEADER.size, eof_ok=True)
    if not head:
        return None  # the peer closed between messages: not an error
    (length,) = HEADER.unpack(head)
    if length > MAX_MESSAGE:
        raise ValueError(f'message of {length} bytes is larger than the {MAX_MESSAGE}-byte limit')
    return recv_exact(sock, length)


def split_frames(buffer: bytes) -> Tuple[List[bytes], bytes]:
    """Cut every whole message off the front of `buffer`; returns them and the incomplete rest.

    For a receiver that reads whatever arrived (one recv() may hold several messages, or a piece of one).
    """
    messages = []
    while len(buffer) >= HEADER.size:
        (length,) = HEADER.unpack_from(buffer)
        if length > MAX_MESSAGE:
            raise ValueError(f'message of {length} bytes is larger than the {MAX_MESSAGE}-byte limit')
        if len(buffer) < HEADER.size + length:
            break  # the rest of this message has not arrived yet
        messages.append(buffer[HEADER.size:HEADER.size + length])
        buffer = buffer[HEADER.size + length:]
    return messages, buffer
