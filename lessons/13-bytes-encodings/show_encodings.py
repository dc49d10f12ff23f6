#!/usr/bin/env python3
"""Lesson 13 - str vs bytes: the same text under different encodings, and the byte-order helpers.

Named show_encodings.py, not encodings.py: a file called encodings.py next to your program (or on
PYTHONPATH) hides Python's own `encodings` package, and Python dies at start-up before running a line.
Run:  python3 -u show_encodings.py [TEXT]   (default: 年; try 😀, which gbk cannot encode)
"""
import socket
import struct
import sys

TEXT = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].isdigit() else '年'
# what encode() can do with a character the encoding has no bytes for
CHOICES = ('strict', 'replace', 'ignore', 'xmlcharrefreplace', 'backslashreplace')


def show_encoding(enc: str) -> None:
    try:
        data = TEXT.encode(enc)  # str -> bytes: only bytes can be sent; errors='strict' is the default
    except UnicodeEncodeError as e:
        # gbk has no bytes for an emoji: encode() raises instead of guessing
        print(f'{enc:>9}: UnicodeEncodeError: {e}')
        for how in CHOICES[1:]:
            data = TEXT.encode(enc, errors=how)
            print(f"{'':>11}errors={how!r:<20}-> {data.hex(' ')}  {data!r}")
        print(f"{'':>11}(errors='strict', the default, raises: choose on purpose - 'ignore' loses data silently)")
        return
    print(f'{enc:>9}: {data.hex(" ")}  ({len(data)} bytes)')


def main() -> None:
    print(f'text {TEXT!r}: code points {" ".join(f"U+{ord(c):04X}" for c in TEXT)}')
    for enc in ('utf-8', 'gbk', 'utf-16-le'):
        show_encoding(enc)
    # mojibake: the sender used utf-8, the receiver decodes as gbk (or the other way round)
    print('utf-8 bytes read as gbk :', TEXT.encode('utf-8').decode('gbk', errors='replace'))
    print('gbk bytes read as utf-8 :', TEXT.encode('gbk', errors='replace').decode('utf-8', errors='replace'))
    print('unicode_escape          :', TEXT.encode('unicode_escape'))
    # numbers on the wire: network byte order is big-endian
    print("struct.pack('!I', 1)    :", struct.pack('!I', 1).hex(' '), " (little-endian '<I':", struct.pack('<I', 1).hex(' ') + ')')
    print('htons(80)               :', hex(socket.htons(80)), '(80 = 0x0050; on little-endian CPUs the bytes swap)')
    print('htonl(1)                :', hex(socket.htonl(1)))
    packed = socket.inet_aton('127.0.0.1')
    print("inet_aton('127.0.0.1')  :", packed.hex(' '), '-> inet_ntoa:', socket.inet_ntoa(packed))


if __name__ == '__main__':
    main()
