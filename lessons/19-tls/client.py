#!/usr/bin/env python3
"""Lesson 19 - a TLS client that verifies the server, shown failing twice and then succeeding.

Run:  python3 -u client.py [PORT] [MESSAGE]   (or set SOCKET_LAB_PORT; default 9019)
      SSLKEYLOGFILE=/tmp/keys.log python3 -u client.py 9019   writes the session keys for Wireshark

1. the system's trusted CAs only: our self-signed certificate is rejected
2. our certificate as the CA, but the wrong host name: rejected
3. our certificate as the CA and the right name: the connection is encrypted and verified
"""
import os
import socket
import ssl
import sys

from make_cert import cert_dir

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9019'))
MESSAGE = sys.argv[2] if len(sys.argv) > 2 else 'hello over tls'


def attempt(label: str, ctx: ssl.SSLContext, server_hostname: str) -> bool:
    with socket.create_connection((HOST, PORT), timeout=10) as raw:
        try:
            # server_hostname goes into the ClientHello (SNI) and is checked against the certificate
            with ctx.wrap_socket(raw, server_hostname=server_hostname) as tls:
                cert = tls.getpeercert()
                print(f'{label}: {tls.version()}, {tls.cipher()[0]}, server is {dict(x[0] for x in cert["subject"])["commonName"]}', flush=True)
                tls.sendall(MESSAGE.encode())
                print(f'{label}: reply {tls.recv(1024).decode()}', flush=True)
                return True
        except ssl.SSLCertVerificationError as e:
            print(f'{label}: refused - {e.verify_message}', flush=True)
            return False


def main() -> None:
    cafile = os.path.join(os.environ.get('SOCKET_LAB_TLS_DIR') or cert_dir(PORT), 'cert.pem')
    if not os.path.exists(cafile):
        sys.exit(f'no certificate at {cafile}: start server.py {PORT} first')
    if os.environ.get('SSLKEYLOGFILE'):
        # create_default_context() reads SSLKEYLOGFILE and appends every session's secrets there
        print(f'writing TLS secrets to {os.environ["SSLKEYLOGFILE"]}', flush=True)

    system = ssl.create_default_context()  # verifies against the system's CAs, checks the name
    attempt('1 system CAs', system, 'localhost')

    ours = ssl.create_default_context(cafile=cafile)  # trust exactly our own certificate
    attempt('2 wrong name', ours, 'example.com')
    ok = attempt('3 verified', ours, 'localhost')
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
