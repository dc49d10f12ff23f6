#!/usr/bin/env python3
"""Lesson 11, exercise 1 (a reference solution): greets each client with its pid, uid and gid from SO_PEERCRED.

Lesson 11 - a Unix domain stream server: a file path instead of an IP address and port.

Only processes on this machine can connect, and the kernel tells us which process it is.
Run:  python3 -u server.py [PATH]   (or set SOCKET_LAB_UNIX_PATH; default /tmp/socket-lab-11.sock)
"""
import os
import socket
import stat
import struct
import sys
import tempfile

PATH = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
    'SOCKET_LAB_UNIX_PATH', os.path.join(tempfile.gettempdir(), 'socket-lab-11.sock'))


def remove_stale_socket(path: str) -> None:
    """A socket file outlives its server, and bind() then fails with "Address already in use".

    Remove it only when it is certainly stale: it is a socket AND nobody answers on it (connect
    gets ECONNREFUSED). Anything else - a regular file, a directory, a live server - is not ours
    to delete: refuse with a clear message instead.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return  # nothing there: bind() will create the file
    if not stat.S_ISSOCK(mode):
        kind = 'a directory' if stat.S_ISDIR(mode) else 'a symbolic link' if stat.S_ISLNK(mode) else 'a regular file'
        sys.exit(f'refusing to start: {path} exists and is not a socket ({kind}); '
                 'choose another path, or remove it yourself if you are sure')
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)  # a live but busy server may not accept at once
        try:
            probe.connect(path)
        except ConnectionRefusedError:
            os.unlink(path)  # a socket file nobody listens on: left behind by a server that died
            print(f'removed a stale socket file at {path} (nobody answered)', flush=True)
            return
        except FileNotFoundError:
            return  # removed meanwhile
        except OSError as e:  # a timeout, a permission problem: we cannot tell, so leave it alone
            sys.exit(f'refusing to start: {path} is a socket we cannot check ({e}); remove it yourself if it is stale')
    sys.exit(f'refusing to start: another server is listening on {path}; stop it first or choose another path')


def main() -> None:
    if not hasattr(socket, 'AF_UNIX'):
        sys.exit('this Python has no AF_UNIX (no CPython on Windows exposes it); use WSL, Linux or macOS')
    remove_stale_socket(PATH)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(PATH)  # creates the socket file
        ours = os.stat(PATH).st_ino  # so that on the way out we remove our file and nobody else's
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
                        # the kernel vouches for these numbers: the client could not have faked them
                        conn.sendall(f'pid={pid} uid={uid} gid={gid}\n'.encode('ascii'))
                    while True:
                        data = conn.recv(1024)
                        if not data:
                            break
                        conn.sendall(data.upper())
        finally:
            # remove the socket file so the next run can bind - but only if it is still the one we created
            try:
                if os.stat(PATH).st_ino == ours:
                    os.unlink(PATH)
            except FileNotFoundError:
                pass

if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
