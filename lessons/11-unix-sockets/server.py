#!/usr/bin/env python3
"""Lesson 11 - a Unix domain stream server: a file path instead of an IP address and port.

Only processes on this machine can connect, and the kernel tells us which process it is.
Run:  python3 -u server.py [PATH]   (or set SOCKET_LAB_UNIX_PATH; default /tmp/socket-lab-11.sock)
"""
import os
import socket
import struct
import sys
import tempfile

PATH = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
    'SOCKET_LAB_UNIX_PATH', os.path.join(tempfile.gettempdir(), 'socket-lab-11.sock'))


def main() -> None:
    if not hasattr(socket, 'AF_UNIX'):
        sys.exit('this Python has no AF_UNIX support (older Windows); use WSL or Linux/macOS')
    # a socket file left by an earlier run would make bind() fail with "Address already in use"
    if os.path.exists(PATH):
        os.unlink(PATH)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(PATH)  # creates the socket file
        server.listen(5)
        print(f'listening on {PATH}', flush=True)
        try:
            while True:
                conn, _ = server.accept()  # the peer "address" of a Unix client is usually empty
                with conn:
                    if hasattr(socket, 'SO_PEERCRED'):  # Linux: pid, uid, gid of the connecting process
                        # native '3i' on purpose: struct ucred comes from this kernel, not from the wire
                        pid, uid, gid = struct.unpack('3i', conn.getsockopt(
                            socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize('3i')))
                        print(f'client pid={pid} uid={uid} gid={gid}', flush=True)
                    while True:
                        data = conn.recv(1024)
                        if not data:
                            break
                        conn.sendall(data.upper())
        finally:
            os.unlink(PATH)  # remove the socket file so the next run can bind


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
