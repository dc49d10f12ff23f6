// Peers the e2e specs talk to: a student's Python servers, started and killed by the spec.
import type { ChildProcess } from 'node:child_process';
import { pythonPeer } from '../support';

export /** A student's Python server on 127.0.0.1 (TCP echo, or UDP echo) that prints what it got. */
function pythonEcho(kind: 'tcp' | 'udp'): Promise<{ port: number; lines: string[]; proc: ChildProcess }> {
  const code =
    kind === 'tcp'
      ? [
          'import socket',
          's = socket.socket()',
          's.bind(("127.0.0.1", 0))',
          's.listen()',
          'print(s.getsockname()[1], flush=True)',
          'while True:',
          '    c, _ = s.accept()',
          '    while (d := c.recv(4096)):',
          '        print("got", d.decode(), flush=True)',
          '        c.sendall(d.upper())',
          '    c.close()',
        ]
      : [
          'import socket',
          's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
          's.bind(("127.0.0.1", 0))',
          'print(s.getsockname()[1], flush=True)',
          'while True:',
          '    d, addr = s.recvfrom(2048)',
          '    print("got", d.decode(), flush=True)',
          '    s.sendto(d.upper(), addr)',
        ];
  return pythonPeer(code);
}
