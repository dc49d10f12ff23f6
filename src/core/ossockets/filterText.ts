// Words typed in the System Sockets view's filter box, as a SocketFilter.
import { parseStateFilter, type SocketFilter } from './socketTable';

/**
 * The System Sockets view's filter box: `port 8000`, `state listen`, `pid 42`, `tcp`, or several (`tcp port 8000`).
 * An empty text clears the filter.
 */
export function parseFilterText(text: string): SocketFilter | { error: string } {
  const words = text.trim().toLowerCase().split(/[\s,]+/).filter(Boolean);
  const filter: SocketFilter = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === 'tcp' || w === 'udp' || w === 'unix') filter.protocol = w;
    else if (w === 'port' || w === 'pid') {
      const v = words[++i];
      if (v === undefined || !/^\d+$/.test(v) || (w === 'port' && Number(v) > 65535)) return { error: `"${w}" needs a number` };
      if (w === 'port') filter.port = Number(v);
      else filter.pid = Number(v);
    } else if (w === 'state') {
      const v = words[++i];
      if (v === undefined || !parseStateFilter(v)) return { error: `unknown state "${v ?? ''}"` };
      filter.state = v;
    } else if (/^\d+$/.test(w) && Number(w) <= 65535) filter.port = Number(w);
    else if (parseStateFilter(w)) filter.state = w;
    else return { error: `not understood: "${w}"` };
  }
  return filter;
}
