#!/usr/bin/env python3
"""Lesson 13, exercise 2 (a reference solution): the text framed by a 2-byte big-endian length - of the BYTES.

Run:  python3 -u client.py [PORT] [ENCODING] [TEXT] [ERRORS]   (default: utf-8, 年, strict)
ERRORS is what encode() does with a character the encoding cannot represent (gbk has no emoji):
'strict' (raise), 'replace' ('?'), 'ignore' (drop it), 'xmlcharrefreplace', 'backslashreplace'.
"""
import os
import socket
import struct
import sys

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9013'))
ENCODING = sys.argv[2] if len(sys.argv) > 2 else 'utf-8'
TEXT = sys.argv[3] if len(sys.argv) > 3 else '年'
ERRORS = sys.argv[4] if len(sys.argv) > 4 else 'strict'


def main() -> None:
    try:
        data = TEXT.encode(ENCODING, errors=ERRORS)  # sock.send('年') would raise TypeError: a str is not bytes
    except UnicodeEncodeError as e:
        # e.g. gbk has no bytes for an emoji: say so and show the choices instead of a traceback
        print(f'cannot send {TEXT!r} as {ENCODING}: UnicodeEncodeError: {e}', flush=True)
        for how in ('replace', 'ignore', 'xmlcharrefreplace', 'backslashreplace'):
            print(f'  errors={how!r:<20} would send {TEXT.encode(ENCODING, errors=how).hex(" ")}', flush=True)
        print('  pass one of them as the 4th argument, or choose an encoding that has the character (utf-8)', flush=True)
        sys.exit(1)
    print(f'sending {TEXT!r} as {ENCODING}: {data.hex(" ")}', flush=True)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect((HOST, PORT))
        # len(data), not len(TEXT): '年' is 1 character but 3 bytes in utf-8 (2 in gbk)
        sock.sendall(struct.pack('!H', len(data)) + data)


if __name__ == '__main__':
    main()
