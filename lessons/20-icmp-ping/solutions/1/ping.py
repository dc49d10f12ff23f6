#!/usr/bin/env python3
"""Lesson 20 - ping by hand: an ICMP echo request built with struct, its checksum, the reply.

Run:  python3 -u ping.py [HOST] [COUNT] [--raw | --dgram]    (default 127.0.0.1, 3 pings)

  --raw    a raw socket, socket(AF_INET, SOCK_RAW, IPPROTO_ICMP): needs root or CAP_NET_RAW
  --dgram  a Linux "ping socket", socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP): no privilege, but
           only for groups listed in net.ipv4.ping_group_range
  neither: try the raw socket, then the ping socket, and explain what is missing.
"""
import os
import socket
import struct
import sys
import time

ECHO_REQUEST, ECHO_REPLY = 8, 0  # ICMP types (RFC 792)
RANGE_FILE = '/proc/sys/net/ipv4/ping_group_range'


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): one's-complement sum of 16-bit words, then inverted."""
    if len(data) % 2:
        data += b'\x00'  # an odd length is padded with a zero byte for the sum only
    total = sum(struct.unpack(f'!{len(data) // 2}H', data))
    while total >> 16:  # fold the carries back in (end-around carry)
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(ident: int, seq: int, payload: bytes) -> bytes:
    """Type 8, code 0, checksum, identifier, sequence number, then the data."""
    header = struct.pack('!BBHHH', ECHO_REQUEST, 0, 0, ident, seq)  # checksum 0 while computing it
    csum = checksum(header + payload)
    return struct.pack('!BBHHH', ECHO_REQUEST, 0, csum, ident, seq) + payload


def parse_icmp(packet: bytes) -> tuple[int, int, int, int, bytes]:
    icmp_type, code, _csum, ident, seq = struct.unpack('!BBHHH', packet[:8])
    return icmp_type, code, ident, seq, packet[8:]


def ping_group_range() -> str:
    try:
        with open(RANGE_FILE) as f:
            return ' '.join(f.read().split())  # two group ids: the lowest and highest allowed
    except OSError:
        return 'unknown (no /proc)'


def open_socket(mode: str):
    """Returns (socket, kind) or raises SystemExit with a plain explanation."""
    problems = []
    if mode in ('raw', 'auto'):
        try:
            return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP), 'raw'
        except PermissionError as e:  # EPERM: the kernel allows raw sockets to root / CAP_NET_RAW only
            problems.append(f'raw socket: {e} - needs root or CAP_NET_RAW')
    if mode in ('dgram', 'auto'):
        try:
            return socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP), 'dgram'
        except PermissionError as e:  # EACCES: our group is not in the allowed range
            problems.append(f'ping socket: {e} - group {os.getgid()} is not in '
                            f'net.ipv4.ping_group_range ({ping_group_range()})')
        except OSError as e:  # not Linux (or an old kernel): no ping sockets at all
            problems.append(f'ping socket: {e}')
    for p in problems:
        print(p, flush=True)
    gid = os.getgid() if hasattr(os, 'getgid') else 0
    print('what to do: run this one program with sudo; or, on a Linux machine that is yours, let your group use '
          f'ping sockets: sudo sysctl -w net.ipv4.ping_group_range="{gid} {gid}". '
          'Do not setcap cap_net_raw on the system python: every script on the machine would get raw sockets.',
          flush=True)
    raise SystemExit(2)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    host = args[0] if args else '127.0.0.1'
    count = int(args[1]) if len(args) > 1 else 3
    mode = 'raw' if '--raw' in sys.argv else 'dgram' if '--dgram' in sys.argv else 'auto'
    sock, kind = open_socket(mode)
    addr = socket.gethostbyname(host)
    ident = os.getpid() & 0xFFFF
    print(f'PING {host} ({addr}) with a {kind} socket, identifier {ident:#06x}', flush=True)
    sock.settimeout(1.0)
    answered = 0
    for seq in range(100, 100 + count):  # exercise 1: numbered from 100
        packet = echo_request(ident, seq, b'socket lab ping ' + struct.pack('!d', time.time()))
        print(f'request seq={seq}: {packet[:8].hex(" ")} | checksum {packet[2:4].hex()}', flush=True)
        sent = time.perf_counter()
        sock.sendto(packet, (addr, 0))  # ICMP has no ports; 0 is a placeholder
        deadline = sent + 1.0
        while time.perf_counter() < deadline:  # bounded: one second per request
            try:
                data, src = sock.recvfrom(2048)
            except socket.timeout:
                break
            if kind == 'raw':
                # a raw socket gets the IP header too (its length: low nibble of byte 0, times 4),
                # and every ICMP packet the host receives - on loopback even our own request
                data = data[(data[0] & 0x0F) * 4:]
            icmp_type, code, rid, rseq, _ = parse_icmp(data)
            # a ping socket's kernel rewrites the identifier to the socket's own "port", so match only there on seq
            if icmp_type == ECHO_REPLY and rseq == seq and (kind == 'dgram' or rid == ident):
                ms = (time.perf_counter() - sent) * 1000
                ok = 'ok' if checksum(data) == 0 else 'BAD'
                print(f'reply from {src[0]}: type 0 (echo reply) identifier {rid:#06x} seq={rseq} '
                      f'checksum {ok} time={ms:.2f} ms', flush=True)
                answered += 1
                break
        else:
            print(f'no reply for seq={seq}', flush=True)
        time.sleep(0.2)
    print(f'{count} sent, {answered} answered', flush=True)
    sock.close()


if __name__ == '__main__':
    main()
