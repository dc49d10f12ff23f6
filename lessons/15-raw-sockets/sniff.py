#!/usr/bin/env python3
"""Lesson 15 - a packet sniffer with a raw AF_PACKET socket, parsing Ethernet, IPv4 and TCP/UDP by hand.

Linux only; needs root or CAP_NET_RAW. It listens on the loopback interface `lo` only and
shows the frames whose TCP/UDP port is PORT.
Run:  sudo python3 -u sniff.py [PORT] [COUNT]   (or set SOCKET_LAB_PORT; default 9015, COUNT 20)
"""
import errno
import os
import socket
import struct
import sys
import time

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9015'))
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 20
TIMEOUT = float(os.environ.get('SOCKET_LAB_TIMEOUT', '60'))
INTERFACE = 'lo'  # loopback only: the lesson never looks at real network traffic
ETH_P_ALL = 0x0003  # every protocol
PACKET_OUTGOING = 4  # on lo each frame is seen twice (out and in); keep the incoming copy
CAP_NET_RAW = 13
TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR']


def has_cap_net_raw() -> bool:
    """Root, or the CAP_NET_RAW bit in this process's effective capabilities."""
    if os.geteuid() == 0:
        return True
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('CapEff:'):
                    return bool(int(line.split()[1], 16) >> CAP_NET_RAW & 1)
    except OSError:
        pass
    return False


def explain_and_exit(reason: str, code: int) -> None:
    print(reason, flush=True)
    sys.exit(code)


def open_sniffer() -> socket.socket:
    if not sys.platform.startswith('linux') or not hasattr(socket, 'AF_PACKET'):
        explain_and_exit('unsupported: AF_PACKET raw sockets exist only on Linux (use WSL 2 or a Linux VM).', 3)
    if not has_cap_net_raw():
        # Never setcap the system python3: every Python program of every user could then sniff all
        # traffic and forge packets. Give the capability to a private copy that only you can run.
        explain_and_exit('no permission: raw sockets need root or CAP_NET_RAW - run with sudo in a throwaway VM, '
                         'or give a dedicated copy of the interpreter the capability (never the system python3, '
                         'or every Python program could sniff): cp "$(readlink -f "$(which python3)")" ~/python3-raw && '
                         'chmod 700 ~/python3-raw && sudo setcap cap_net_raw+ep ~/python3-raw', 2)
    try:
        # SOCK_RAW + ETH_P_ALL: whole Ethernet frames, every protocol. The protocol argument is compared
        # with the frame's big-endian EtherType field, so it must be in network byte order: htons (host
        # to network). Without it, 0x0003 becomes 0x0300 on a little-endian CPU and nothing ever matches.
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    except OSError as e:
        if e.errno == errno.EAFNOSUPPORT:
            explain_and_exit('unsupported: "Address family not supported by protocol" means this kernel has no '
                             'packet sockets: it was built without CONFIG_PACKET, or the af_packet module is not '
                             'loaded. Check: `lsmod | grep af_packet` and `ls /proc/net/packet` (it exists only when '
                             'packet sockets do); load it with `sudo modprobe af_packet`. Containers and sandboxes '
                             'such as gVisor often have none, and cannot load modules.', 3)
        if e.errno == errno.EPERM:
            explain_and_exit('no permission: the kernel refused a raw socket (EPERM) - run as root or grant '
                             'CAP_NET_RAW.', 2)
        raise
    sock.bind((INTERFACE, 0))  # only frames of the loopback interface
    return sock


def describe(frame: bytes) -> str:
    """Parse the headers by hand; None when the frame is not TCP/UDP on PORT."""
    if len(frame) < 14:
        return None
    dst, src, ethertype = struct.unpack('!6s6sH', frame[:14])  # Ethernet II: 6 + 6 + 2 bytes
    if ethertype == 0x88B5:  # IEEE local-experimental EtherType: the frame send_frame.py builds by hand
        return f'eth type 0x88b5 (experimental) | payload {frame[14:].rstrip(bytes(1))!r}'
    if ethertype != 0x0800 or len(frame) < 34:  # IPv4 only in this lesson
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4  # header length in 32-bit words
    total_len, ttl, proto = struct.unpack('!H', ip[2:4])[0], ip[8], ip[9]
    src_ip, dst_ip = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
    l4 = ip[ihl:total_len]
    mac = lambda b: ':'.join(f'{x:02x}' for x in b)  # noqa: E731
    head = (f'eth {mac(src)} > {mac(dst)} type 0x{ethertype:04x} | '
            f'ip {src_ip} > {dst_ip} ttl {ttl} len {total_len}')
    if proto == 6 and len(l4) >= 20:
        sport, dport, seq, ack, off_flags = struct.unpack('!HHIIH', l4[:14])
        if PORT not in (sport, dport):
            return None
        data_offset = (off_flags >> 12) * 4
        flags = [name for i, name in enumerate(TCP_FLAGS) if off_flags & (1 << i)]
        payload = l4[data_offset:]
        return (f'{head} | tcp {sport} > {dport} [{",".join(flags)}] seq {seq} ack {ack} | '
                f'payload {len(payload)} bytes {payload[:32]!r}')
    if proto == 17 and len(l4) >= 8:
        sport, dport, length = struct.unpack('!HHH', l4[:6])
        if PORT not in (sport, dport):
            return None
        return f'{head} | udp {sport} > {dport} len {length} | payload {l4[8:length][:32]!r}'
    return None


def main() -> None:
    sock = open_sniffer()
    print(f'sniffing on {INTERFACE}, port {PORT}, up to {COUNT} frames', flush=True)
    seen = 0
    # One deadline for the whole run. A plain settimeout(TIMEOUT) restarts with every recvfrom(), and
    # a packet socket receives ALL traffic on lo, not only our port's: any other program talking on
    # loopback would keep resetting it, and the timeout would never fire.
    deadline = time.monotonic() + TIMEOUT
    try:
        while seen < COUNT:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout
            sock.settimeout(left)
            frame, (_ifname, _proto, pkttype, _hatype, _addr) = sock.recvfrom(65535)
            if pkttype == PACKET_OUTGOING:
                continue
            text = describe(frame)
            if text:
                seen += 1
                print(f'frame {seen}: {len(frame)} bytes | {text}', flush=True)
    except socket.timeout:
        print(f'no more frames of port {PORT} within {TIMEOUT:g} s', flush=True)
    finally:
        sock.close()


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
