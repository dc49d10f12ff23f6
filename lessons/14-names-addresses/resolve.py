#!/usr/bin/env python3
"""Lesson 14 - names and addresses: gethostbyname, getaddrinfo (IPv4 + IPv6), getservbyname,
and a tiny resolver cache.

By default it only looks up names this machine answers itself (localhost, literal addresses),
so no DNS query leaves the machine. Pass other names to see a real lookup.
Run:  python3 -u resolve.py [PORT] [NAME ...]   (or set SOCKET_LAB_PORT; default 9014)
"""
import os
import socket
import sys
import time

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9014'))
NAMES = sys.argv[2:] or ['localhost', '127.0.0.1', '::1']


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


def main() -> None:
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
