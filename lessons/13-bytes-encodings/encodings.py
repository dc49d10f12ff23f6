#!/usr/bin/env python3
"""Lesson 13 - str vs bytes: the same text under different encodings, and the byte-order helpers.

Run:  python3 -u encodings.py [TEXT]   (default: 年)
"""
import socket
import struct
import sys

TEXT = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].isdigit() else '年'


def main() -> None:
    print(f'text {TEXT!r}: code points {" ".join(f"U+{ord(c):04X}" for c in TEXT)}')
    for enc in ('utf-8', 'gbk', 'utf-16-le'):
        data = TEXT.encode(enc)  # str -> bytes: only bytes can be sent
        print(f'{enc:>9}: {data.hex(" ")}  ({len(data)} bytes)')
    # mojibake: the sender used utf-8, the receiver decodes as gbk (or the other way round)
    print('utf-8 bytes read as gbk :', TEXT.encode('utf-8').decode('gbk', errors='replace'))
    print('gbk bytes read as utf-8 :', TEXT.encode('gbk').decode('utf-8', errors='replace'))
    print('unicode_escape          :', TEXT.encode('unicode_escape'))
    # numbers on the wire: network byte order is big-endian
    print("struct.pack('!I', 1)    :", struct.pack('!I', 1).hex(' '), " (little-endian '<I':", struct.pack('<I', 1).hex(' ') + ')')
    print('htons(80)               :', hex(socket.htons(80)), '(80 = 0x0050; on little-endian CPUs the bytes swap)')
    print('htonl(1)                :', hex(socket.htonl(1)))
    packed = socket.inet_aton('127.0.0.1')
    print("inet_aton('127.0.0.1')  :", packed.hex(' '), '-> inet_ntoa:', socket.inet_ntoa(packed))


if __name__ == '__main__':
    main()
