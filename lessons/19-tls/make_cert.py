#!/usr/bin/env python3
"""Lesson 19 - a self-signed certificate for 127.0.0.1/localhost, made at run time with the openssl CLI.

Run:  python3 -u make_cert.py [DIR]     (default: a fresh temporary directory; prints where)

The private key is written only into that directory (mode 0700), never into the lesson:
a key that is committed or shipped is a key everybody has.
"""
import os
import shutil
import subprocess
import sys
import tempfile


def cert_dir(port: int) -> str:
    """The per-user, per-port directory the lesson server writes to and the client reads from."""
    uid = os.getuid() if hasattr(os, 'getuid') else os.getlogin()
    return os.path.join(tempfile.gettempdir(), f'socket-lab-tls-{uid}-{port}')


def make_cert(directory: str) -> tuple[str, str]:
    """Writes cert.pem and key.pem into `directory` (created 0700); returns their paths."""
    openssl = shutil.which('openssl')
    if not openssl:
        raise SystemExit(
            'openssl not found. Install it (Debian/Ubuntu: apt install openssl; macOS: it ships with the OS; '
            'Windows: it comes with Git for Windows, in C:\\Program Files\\Git\\usr\\bin), '
            'or put a cert.pem and key.pem of your own in the directory and set SOCKET_LAB_TLS_DIR to it.')
    os.makedirs(directory, mode=0o700, exist_ok=True)
    st = os.lstat(directory)
    if not os.path.isdir(directory) or os.path.islink(directory) or (hasattr(os, 'getuid') and st.st_uid != os.getuid()):
        raise SystemExit(f'{directory} exists and is not a directory of ours: refusing to write a key there')
    cert, key = os.path.join(directory, 'cert.pem'), os.path.join(directory, 'key.pem')
    subprocess.run(
        [openssl, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
         '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost',
         '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30)
    os.chmod(key, 0o600)
    return cert, key


if __name__ == '__main__':
    where = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix='socket-lab-tls-')
    c, k = make_cert(where)
    print(f'certificate: {c}\nprivate key: {k}  (delete it when you are done)')
