#!/usr/bin/env python3
"""Lesson 15, exercise 1 (a reference solution): the frame is addressed, from 02:00:00:00:00:15 to broadcast.

Lesson 15 - builds one Ethernet frame by hand and sends it on the loopback interface.

The frame uses EtherType 0x88B5, reserved by IEEE for local experiments, so no protocol
stack on the machine acts on it; sniff.py shows it. Linux only, root or CAP_NET_RAW, `lo` only.
Run:  sudo python3 -u send_frame.py [PORT] [TEXT]   (PORT is ignored; it keeps the lesson's argument order)
"""
import errno
import socket
import struct
import sys

INTERFACE = 'lo'  # never a real network interface
ETHERTYPE_EXPERIMENTAL = 0x88B5
SOURCE = bytes.fromhex('020000000015')  # 02: a locally administered address, one no vendor sold
BROADCAST = b'\xff' * 6  # every station on the link
TEXT = sys.argv[2] if len(sys.argv) > 2 else 'hello from a hand-made frame'


def main() -> None:
    if not hasattr(socket, 'AF_PACKET'):
        sys.exit('unsupported: AF_PACKET raw sockets exist only on Linux (use WSL 2 or a Linux VM).')
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    except OSError as e:
        if e.errno == errno.EAFNOSUPPORT:
            sys.exit('unsupported: "Address family not supported by protocol" means this kernel has no packet sockets '
                     '(no CONFIG_PACKET, or the af_packet module is not loaded: `lsmod | grep af_packet`, '
                     '`ls /proc/net/packet`, `sudo modprobe af_packet`).')
        if e.errno == errno.EPERM:
            sys.exit('no permission: raw sockets need root or CAP_NET_RAW - run with sudo (see sniff.py for a safer capability).')
        raise
    with sock:
        sock.bind((INTERFACE, 0))
        payload = TEXT.encode('utf-8')
        # destination MAC first, then source MAC, then EtherType - 14 bytes, network byte order
        header = struct.pack('!6s6sH', BROADCAST, SOURCE, ETHERTYPE_EXPERIMENTAL)
        frame = header + payload.ljust(46, b'\x00')  # Ethernet pads a frame's payload to at least 46 bytes
        sent = sock.send(frame)
        print(f'sent {sent} bytes on {INTERFACE}: {frame[:14].hex(" ")} | {payload!r}', flush=True)


if __name__ == '__main__':
    main()
