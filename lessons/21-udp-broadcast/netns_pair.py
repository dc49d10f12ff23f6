#!/usr/bin/env python3
"""Lesson 21 - a real broadcast between two "hosts": a pair of network namespaces joined by a veth cable.

Run:  python3 -u netns_pair.py [PORT]      (Linux; default 9021; no sudo needed where the kernel allows
                                           unprivileged user namespaces)

  host A (10.77.0.1)  sla ======= slb  host B (10.77.0.2), subnet 10.77.0.0/24, broadcast 10.77.0.255

Everything happens inside namespaces this program creates with `unshare -rn` (a new user namespace
in which we are "root", and a new network namespace with nothing in it); they vanish when it ends.
Nothing is sent on your real network. Host B runs receiver.py, host A runs sender.py.
"""
import os
import shutil
import subprocess
import sys
import time

PORT = next((a for a in sys.argv[1:] if a.isdigit()), os.environ.get('SOCKET_LAB_PORT', '9021'))
HERE = os.path.dirname(os.path.abspath(__file__))


def ip(*args: str) -> None:
    subprocess.run(['ip', *args], check=True, timeout=10)


def outside() -> int:
    """Step 1, in your own namespaces: re-run this file inside a new user + network namespace."""
    if sys.platform != 'linux':
        print('network namespaces are a Linux feature: on this system run receiver.py and sender.py on loopback')
        return 2
    missing = [t for t in ('unshare', 'ip') if not shutil.which(t)]
    if missing:
        print(f'{" and ".join(missing)} not found (util-linux, iproute2): run receiver.py and sender.py on loopback')
        return 2
    probe = subprocess.run(['unshare', '-rn', 'true'], capture_output=True, text=True, timeout=10)
    if probe.returncode != 0:
        print(f'cannot create a network namespace here ({probe.stderr.strip() or "unshare -rn failed"}); '
              'unprivileged user namespaces may be disabled (kernel.unprivileged_userns_clone, '
              'or AppArmor on Ubuntu 24.04). Loopback shows what it can: run receiver.py and sender.py.')
        return 2
    return subprocess.run(['unshare', '-rn', sys.executable, '-u', __file__, '--host-a', PORT], timeout=60).returncode


def host_a() -> int:
    """Step 2, inside the new namespace (host A): make host B, the cable, the addresses; then send."""
    ip('link', 'set', 'lo', 'up')
    # host B: one more network namespace (inside our user namespace); it waits until its cable is in
    b = subprocess.Popen(['unshare', '-n', sys.executable, '-u', __file__, '--host-b', PORT],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ip('link', 'add', 'sla', 'type', 'veth', 'peer', 'name', 'slb')  # a virtual cable with two ends
        ip('link', 'set', 'slb', 'netns', str(b.pid))  # plug one end into host B
        ip('addr', 'add', '10.77.0.1/24', 'broadcast', '10.77.0.255', 'dev', 'sla')
        ip('link', 'set', 'sla', 'up')
        b.stdin.write('go\n')
        b.stdin.flush()
        ready = b.stdout.readline()  # host B's "listening on ..." line (bounded by its own setup)
        print(f'[host B] {ready.strip()}', flush=True)
        # '<broadcast>' needs a route for 255.255.255.255: first without one, then via the cable
        no_route = subprocess.run([sys.executable, '-u', os.path.join(HERE, 'sender.py'), PORT, '<broadcast>'],
                                  timeout=10, capture_output=True, text=True)
        for line in no_route.stdout.splitlines():
            if line.startswith('with SO_BROADCAST'):
                print(f'[host A, no default route] {line}', flush=True)
        ip('route', 'add', 'default', 'dev', 'sla')
        sent = subprocess.run([sys.executable, '-u', os.path.join(HERE, 'sender.py'), PORT,
                               '10.77.0.255', '<broadcast>', '--unicast=10.77.0.2'],
                              timeout=10, capture_output=True, text=True)
        for line in sent.stdout.splitlines():
            print(f'[host A] {line}', flush=True)
        time.sleep(0.5)  # let the datagrams arrive
    finally:
        b.terminate()
    rest, _ = b.communicate(timeout=10)
    for line in rest.splitlines():
        print(f'[host B] {line}', flush=True)
    return 0


def host_b() -> None:
    """Step 3, host B's own namespace: wait for the cable, configure it, become receiver.py."""
    sys.stdin.readline()  # "go": the cable end is here now
    ip('link', 'set', 'lo', 'up')
    ip('addr', 'add', '10.77.0.2/24', 'broadcast', '10.77.0.255', 'dev', 'slb')
    ip('link', 'set', 'slb', 'up')
    os.execv(sys.executable, [sys.executable, '-u', os.path.join(HERE, 'receiver.py'), PORT,
                              '10.77.0.255', '255.255.255.255', '10.77.0.2'])


if __name__ == '__main__':
    if '--host-b' in sys.argv:
        host_b()
    elif '--host-a' in sys.argv:
        sys.exit(host_a())
    else:
        sys.exit(outside())
