// The measured side of the benches that compare a decoder pass with `tshark -Y`: a small Node program, bundled, that
// streams a capture file, dissects every packet with a context of the bench's making and prints how many packets
// match a display filter — run under runMeasured for its time and max RSS.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleForNode } from '../test/unit/tinyCapture';

/**
 * Writes and bundles the pass into `dir`; returns its path. Run as `node PASS FILE [ARGS…]`: `contextCode` is an
 * expression that makes the DissectContext (it sees `args`, the arguments after FILE, `fs`, `DissectContext` and
 * `TlsKeyLog`), and the pass prints the number of packets matching `filter`.
 */
export function writeFilterPass(dir: string, contextCode: string, filter: string): string {
  const src = path.join(__dirname, '..', 'src', 'core');
  const entry = path.join(dir, 'filterPass.ts');
  fs.writeFileSync(
    entry,
    `import * as fs from 'node:fs';
import { DissectContext, dissect } from ${JSON.stringify(path.join(src, 'decode', 'dissect'))};
import { compileFilter } from ${JSON.stringify(path.join(src, 'decode', 'displayFilter'))};
import { PcapStreamReader } from ${JSON.stringify(path.join(src, 'pcap', 'pcapStreamReader'))};
import { TlsKeyLog } from ${JSON.stringify(path.join(src, 'tls', 'tlsDecrypt'))};
const [file, ...args] = process.argv.slice(2);
void TlsKeyLog;
const ctx: DissectContext = ${contextCode};
const keep = compileFilter(${JSON.stringify(filter)});
const reader = new PcapStreamReader();
let n = 0;
let hits = 0;
const stream = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
stream.on('data', (chunk) => {
  for (const rec of reader.push(chunk as Buffer)) if (keep(dissect(rec, ctx, ++n))) hits++;
});
stream.on('end', () => process.stdout.write(String(hits) + '\\n'));
`,
  );
  return bundleForNode(entry, dir);
}
