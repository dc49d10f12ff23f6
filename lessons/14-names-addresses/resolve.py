#!/usr/bin/env python3
"""Lesson 14 - names and addresses: gethostbyname, getaddrinfo (IPv4 + IPv6), getservbyname,
and a tiny resolver cache.

By default it only looks up names this machine answers itself (localhost, literal addresses),
so no DNS query leaves the machine. Pass other names to see a real lookup.
Run:  python3 -u resolve.py [PORT] [NAME ...]   in any order: a number is the port, anything else a name
      (or set SOCKET_LAB_PORT; default 9014), e.g. `resolve.py example.com` or `resolve.py 443 example.com`
"""
import ipaddress
import os
import socket
import sys
import time

PORTS = [a for a in sys.argv[1:] if a.isdigit()]
if len(PORTS) > 1 or any(not 0 <= int(p) <= 65535 for p in PORTS):
    sys.exit(f'usage: resolve.py [PORT] [NAME ...] - one port from 0 to 65535, got {" ".join(PORTS)}')
PORT = int(PORTS[0]) if PORTS else int(os.environ.get('SOCKET_LAB_PORT', '9014'))
NAMES = [a for a in sys.argv[1:] if not a.isdigit()] or ['localhost', '127.0.0.1', '::1']
# a few addresses with a special meaning, and what the ipaddress module says about each
SPECIAL = ['127.0.0.1', '0.0.0.0', '255.255.255.255', '10.1.2.3', '172.16.0.1', '192.168.1.10',
           '169.254.1.1', '224.0.0.251', '8.8.8.8', '::1', '::', 'fe80::1', 'fd00::2']


class ResolverCache:
    """Remembers getaddrinfo answers for `ttl` seconds; real resolvers honour the DNS record's TTL."""

    def __init__(self, ttl: float = 30.0):
        self.ttl = ttl
        self.entries = {}
        self.hits = self.misses = 0

    def lookup(self, name: str, port: int) -> list:
        key = (name, port)
        entry = self.entries.get(key)
        if entry and entry[0] > time.monotonic():
            self.hits += 1
            return entry[1]
        self.misses += 1
        # type=SOCK_STREAM: one row per address instead of one per socket type
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        addrs = [(socket.AddressFamily(fam).name, sa[0]) for fam, _, _, _, sa in infos]
        self.entries[key] = (time.monotonic() + self.ttl, addrs)
        return addrs


def hosts_file_lines(name: str) -> list:
    """The lines of /etc/hosts that name `name`: where the answer for localhost comes from."""
    try:
        with open('/etc/hosts', encoding='utf-8', errors='replace') as f:
            return [line.strip() for line in f if name in line.split('#')[0].split()[1:]]
    except OSError:
        return []


def kind(text: str) -> str:
    a = ipaddress.ip_address(text)
    for test, label in ((a.is_loopback, 'loopback: this machine only'),
                        (a.is_unspecified, 'unspecified: bind() to it means every address; never a destination'),
                        (a.is_multicast, 'multicast: one sender, a group of receivers'),
                        (a.is_link_local, 'link-local: this network segment only'),
                        (str(a) == '255.255.255.255', 'broadcast: everyone on this network segment'),
                        (a.is_private, 'private: not routed on the internet (home and office networks)'),
                        (a.is_global, 'global: routed on the internet')):
        if test:
            return label
    return 'reserved'


def main() -> None:
    print('special addresses (ipaddress.ip_address(...)):')
    for text in SPECIAL:
        a = ipaddress.ip_address(text)
        print(f'  {text:<16} IPv{a.version}, {a.max_prefixlen} bits: {kind(text)}')
    print(f'a port is 16 bits (0-65535); this run uses {PORT}')
    hosts = hosts_file_lines('localhost')
    print('/etc/hosts lines for localhost:', '; '.join(hosts) if hosts else 'none (or no /etc/hosts)',
          '- getaddrinfo returns ::1 for localhost only if one of them maps it', flush=True)
    print('gethostname()                =', socket.gethostname())
    print("gethostbyname('localhost')   =", socket.gethostbyname('localhost'), '(IPv4 only)')
    try:
        print("getservbyname('http', 'tcp') =", socket.getservbyname('http', 'tcp'))
    except OSError:
        print("getservbyname('http', 'tcp') = unknown here (no /etc/services)")
    cache = ResolverCache()
    for name in NAMES:
        try:
            for family, addr in cache.lookup(name, PORT):
                print(f'getaddrinfo({name!r}, {PORT}) -> {family} {addr}')
        except socket.gaierror as e:
            print(f'getaddrinfo({name!r}) failed: {e.strerror}')
    for name in NAMES:  # the second round comes from the cache: no new lookup
        try:
            cache.lookup(name, PORT)
        except socket.gaierror:
            pass
    print(f'cache: {cache.hits} hits, {cache.misses} misses', flush=True)


if __name__ == '__main__':
    main()
