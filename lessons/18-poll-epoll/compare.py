#!/usr/bin/env python3
"""Lesson 18 - select, poll and epoll side by side with many idle sockets; what selectors picks.

Run:  python3 -u compare.py [N]      (N idle connections, default 1000; no network: socketpair())

select() and poll() hand the kernel every socket on every call and the kernel scans them
all; epoll keeps the interest list in the kernel, so a call costs what is ready. select()
also refuses file descriptors >= FD_SETSIZE (1024).
"""
import resource
import select
import selectors
import socket
import sys
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
CALLS = 200


def main() -> None:
    print(f'selectors.DefaultSelector here is {selectors.DefaultSelector.__name__}', flush=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * N + 64
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    pairs = []
    try:
        for _ in range(N):
            pairs.append(socket.socketpair())
    except OSError as e:
        print(f'stopped at {len(pairs)} pairs: {e}', flush=True)
    ours = [a for a, _ in pairs]
    pairs[-1][1].send(b'x')  # exactly one socket is readable
    print(f'{len(ours)} sockets registered, 1 of them readable; {CALLS} calls each:', flush=True)

    if max(s.fileno() for s in ours) < 1024:
        print(f'  select: {best(lambda: select.select(ours, [], [], 0)):8.1f} us per call', flush=True)
    else:
        try:
            select.select(ours, [], [], 0)
        except ValueError as e:
            print(f'  select: ValueError: {e} (a descriptor is >= FD_SETSIZE 1024)', flush=True)
    if hasattr(select, 'poll'):
        p = select.poll()
        for s in ours:
            p.register(s, select.POLLIN)
        print(f'  poll:   {best(lambda: p.poll(0)):8.1f} us per call', flush=True)
    if hasattr(select, 'epoll'):
        ep = select.epoll()
        for s in ours:
            ep.register(s.fileno(), select.EPOLLIN)
        print(f'  epoll:  {best(lambda: ep.poll(0)):8.1f} us per call', flush=True)
        ep.close()
    for a, b in pairs:
        a.close()
        b.close()


def best(call, rounds=5):
    """Microseconds per call: CALLS calls in rounds, the fastest round kept (a busy machine slows some rounds)."""
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(CALLS // rounds):
            call()
        times.append((time.perf_counter() - t) / (CALLS // rounds) * 1e6)
    return min(times)


if __name__ == '__main__':
    main()
