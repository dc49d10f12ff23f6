#!/usr/bin/env python3
"""Lesson 21 - sending UDP broadcasts: EACCES without SO_BROADCAST, then with it.

Run:  python3 -u sender.py [PORT] [ADDRESS ...] [--unicast=ADDRESS]   (or set SOCKET_LAB_PORT; default 9021)
      default address: 127.255.255.255, the broadcast address of loopback's 127.0.0.0/8;
      the unicast datagram for comparison goes to 127.0.0.1 unless --unicast names another

'<broadcast>' (255.255.255.255, the "limited broadcast") is sent only when named explicitly:
it leaves through the interface of the default route, i.e. onto your real network.
netns_pair.py names it inside a private network namespace, where no real network exists.
"""
import os
import socket
import sys

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get('SOCKET_LAB_PORT', '9021'))
TARGETS = [a for a in sys.argv[2:] if not a.startswith('--')] or ['127.255.255.255']
UNICAST = next((a.split('=', 1)[1] for a in sys.argv[2:] if a.startswith('--unicast=')), '127.0.0.1')


def main() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        first = TARGETS[0]
        # 1. a broadcast without permission: the kernel refuses it before anything is sent
        try:
            s.sendto(b'no SO_BROADCAST', (first, PORT))
            print(f'without SO_BROADCAST to {first}: sent (not a broadcast address here)', flush=True)
        except PermissionError as e:
            print(f'without SO_BROADCAST to {first}: {e} (EACCES)', flush=True)
        except OSError as e:  # e.g. no route to send it on
            print(f'without SO_BROADCAST to {first}: {e}', flush=True)

        # 2. the same socket, now allowed to broadcast
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        print(f'SO_BROADCAST = {s.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST)}', flush=True)
        for target in TARGETS:
            shown = f'{target} (255.255.255.255)' if target == '<broadcast>' else target
            try:
                s.sendto(f'hello to {target}'.encode(), (target, PORT))  # '<broadcast>' = INADDR_BROADCAST
                print(f'with SO_BROADCAST to {shown}: sent', flush=True)
            except OSError as e:
                print(f'with SO_BROADCAST to {shown}: {e}', flush=True)

        # 3. an ordinary unicast datagram, for comparison
        s.sendto(f'unicast to {UNICAST}'.encode(), (UNICAST, PORT))
        print(f'unicast to {UNICAST}: sent', flush=True)


if __name__ == '__main__':
    main()
