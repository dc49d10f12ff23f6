#!/usr/bin/env python3
"""Lesson 22 - five ways a TCP connection ends, each with the states the kernel shows afterwards.

Run:  python3 -u client.py [PORT]      (or set SOCKET_LAB_PORT; default 9022; server.py must run)

The states come from the kernel's own table, /proc/net/tcp (Linux); elsewhere use `netstat -an`.
"""
import os
import socket
import sys
import time

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9022'))
STATES = {'01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2',
          '06': 'TIME_WAIT', '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING'}


def state(local_port: int, remote_port: int) -> str:
    """The state of the 127.0.0.1 connection local_port -> remote_port, or 'gone'."""
    try:
        with open('/proc/net/tcp') as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                lp, rp = int(fields[1].split(':')[1], 16), int(fields[2].split(':')[1], 16)
                if (lp, rp) == (local_port, remote_port):
                    return STATES.get(fields[3], fields[3])
    except OSError:
        return '(no /proc/net/tcp here: use netstat -an)'
    return 'gone'


def both(me: int) -> str:
    time.sleep(0.3)  # let the last FIN/ACK/RST arrive
    return f'client side {state(me, PORT)}, server side {state(PORT, me)}'


def connect(mode: str) -> tuple[socket.socket, int]:
    s = socket.create_connection((HOST, PORT), timeout=5)
    s.sendall(mode.encode() + b'\n')
    return s, s.getsockname()[1]


def main() -> None:
    # 1. the client closes first: FIN from us, FIN from the server; TIME_WAIT is ours
    s, me = connect('echo')
    s.sendall(b'hello\n')
    print(f'1 echo: {s.recv(100)!r}', flush=True)
    s.close()
    print(f'1 client closed first: {both(me)}', flush=True)

    # 2. the server closes first: our recv() returns b'' (its FIN); until we close we are in CLOSE_WAIT
    s, me = connect('close')
    print(f'2 server said {s.recv(100)!r}, then recv() -> {s.recv(100)!r}', flush=True)
    print(f'2 before our close: {both(me)}', flush=True)
    s.close()
    print(f'2 server closed first: {both(me)}', flush=True)

    # 3. SO_LINGER 0 on the server: RST instead of FIN; our next recv() raises ConnectionResetError
    s, me = connect('reset')
    time.sleep(0.3)
    try:
        print(f'3 recv -> {s.recv(100)!r}', flush=True)  # "bye" may come first, if it arrived before the RST
        print(f'3 recv -> {s.recv(100)!r}', flush=True)
    except ConnectionResetError as e:
        print(f'3 reset by the server: {e!r}', flush=True)
    print(f'3 after the RST: {both(me)}', flush=True)
    s.close()

    # 4. writing to a connection the peer has closed: the first send is answered by RST, the next fails with EPIPE
    s, me = connect('close')
    time.sleep(0.3)  # the server has closed: its FIN is here, but we have not read it
    s.sendall(b'are you there?\n')  # accepted by our kernel; the server's kernel answers RST
    time.sleep(0.3)
    try:
        s.sendall(b'hello?\n')
        print('4 second send: no error', flush=True)
    except BrokenPipeError as e:  # Python ignores SIGPIPE, so EPIPE arrives as this exception
        print(f'4 second send after the RST: {e!r}', flush=True)
    except ConnectionResetError as e:  # some systems report the RST itself here first
        print(f'4 second send after the RST: {e!r}', flush=True)
    s.close()

    # 5. half-close: shutdown(SHUT_WR) sends our FIN but keeps the receiving half open
    s, me = connect('half')
    s.sendall(b'x' * 1000)
    s.shutdown(socket.SHUT_WR)  # "I have finished sending" - close() would also stop us reading
    print(f'5 after shutdown(SHUT_WR): {both(me)}', flush=True)
    reply = b''
    while True:
        chunk = s.recv(100)
        if not chunk:
            break
        reply += chunk
    print(f'5 reply after our shutdown: {reply!r}', flush=True)
    s.close()
    print(f'5 done: {both(me)}', flush=True)


if __name__ == '__main__':
    main()
