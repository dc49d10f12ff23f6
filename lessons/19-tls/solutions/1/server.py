#!/usr/bin/env python3
"""Lesson 19, exercise 1 (a reference solution): TLS 1.3 only.

Lesson 19 - a TLS echo server: the TCP server of lesson 1, wrapped with the ssl module.

Run:  python3 -u server.py [PORT]      (or set SOCKET_LAB_PORT; default 9019)

At start it makes a self-signed certificate with make_cert.py into a temporary directory
(socket-lab-tls-<uid>-<port>) that the client reads it from, and deletes it when it stops.
SOCKET_LAB_TLS_DIR: use the cert.pem/key.pem in that directory instead.
"""
import os
import shutil
import signal
import socket
import ssl
import sys

from make_cert import cert_dir, make_cert

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9019'))


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so the finally below runs when stopped
    own = 'SOCKET_LAB_TLS_DIR' not in os.environ
    directory = os.environ.get('SOCKET_LAB_TLS_DIR') or cert_dir(PORT)
    try:
        if own:
            cert, key = make_cert(directory)
        else:
            cert, key = os.path.join(directory, 'cert.pem'), os.path.join(directory, 'key.pem')
        print(f'certificate: {cert}', flush=True)

        # a server context: which certificate to present and which protocol versions to accept
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3  # the exercise: TLS 1.3 only; a 1.2-only client gets an alert
        ctx.load_cert_chain(cert, key)

        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind((HOST, PORT))
            server.listen(5)
            print('listening on %s:%d (TLS)' % server.getsockname(), flush=True)
            while True:
                raw, addr = server.accept()  # a plain TCP connection: the handshake has not started
                raw.settimeout(10)  # a client that never sends a ClientHello must not block the server
                try:
                    # the TLS handshake happens here: ClientHello, ServerHello, certificate, keys
                    conn = ctx.wrap_socket(raw, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    # a client that rejects our certificate aborts the handshake with an alert
                    print(f'{addr[0]}:{addr[1]}: handshake failed: {e}', flush=True)
                    raw.close()
                    continue
                conn.settimeout(None)
                with conn:
                    print(f'{addr[0]}:{addr[1]}: {conn.version()}, cipher {conn.cipher()[0]}', flush=True)
                    while True:
                        try:
                            data = conn.recv(1024)  # already decrypted: recv() gives the plaintext
                        except (ssl.SSLError, ConnectionError) as e:
                            print(f'{addr[0]}:{addr[1]}: {e}', flush=True)
                            break
                        if not data:
                            break
                        print(f'received {data!r}', flush=True)
                        conn.sendall(data.upper())  # encrypted by the ssl module before it is sent
    finally:
        if own:
            shutil.rmtree(directory, ignore_errors=True)  # the private key goes with the server


if __name__ == '__main__':
    main()
