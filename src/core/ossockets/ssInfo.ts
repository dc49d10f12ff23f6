// Parses `ss -tinHe` (Linux): per-connection byte counters keyed by inode, which /proc/net/tcp does not carry.
export interface ByteCounts {
  sent: number;
  received: number;
}

export function parseSsTcpInfo(text: string): Map<number, ByteCounts> {
  const out = new Map<number, ByteCounts>();
  let inode: number | undefined;
  for (const line of text.split('\n')) {
    if (!/^\s/.test(line)) {
      // a socket's first line carries `ino:N`; its details follow on an indented line
      const m = /\bino:(\d+)/.exec(line);
      inode = m ? Number(m[1]) : undefined;
      continue;
    }
    if (inode === undefined || inode === 0) continue;
    const sent = /\bbytes_sent:(\d+)/.exec(line);
    const received = /\bbytes_received:(\d+)/.exec(line);
    out.set(inode, { sent: sent ? Number(sent[1]) : 0, received: received ? Number(received[1]) : 0 });
  }
  return out;
}
