// `node --import tsx bench/agreement.ts <folder or files…> [--show N]`: Socket Lab's decoder against tshark, field by
// field, on every capture found (captures from other projects: fetch them to /tmp, never into the repository). The
// table gives each figure over all values and over the values on protocols both decode: where tshark names a protocol
// Socket Lab does not decode (DECnet, BFD, VXLAN …), that payload is counted on a line of its own, with those protocols.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type AgreementResult, compareWithTshark, formatTable, hasTshark, total } from '../test/agreement';

const args = process.argv.slice(2);
const showAt = args.indexOf('--show');
const show = showAt >= 0 ? Number(args.splice(showAt, 2)[1]) : 0;
const captureExt = /\.(pcap|pcapng|cap|ntar|dmp)(\.gz)?$/i;

function walk(p: string, out: string[]): void {
  const st = fs.statSync(p);
  if (st.isDirectory()) for (const e of fs.readdirSync(p).sort()) walk(path.join(p, e), out);
  else if (captureExt.test(p) && !p.endsWith('.gz')) out.push(p);
}

if (!hasTshark()) {
  console.error('tshark is not installed: nothing to compare against.');
  process.exit(2);
}
const files: string[] = [];
for (const a of args) walk(a, files);
const results: AgreementResult[] = [];
for (const f of files) {
  const r = compareWithTshark(f, { maxDisagreements: show || 200 });
  results.push(r);
  const pct = r.compared ? ((100 * r.agreeing) / r.compared).toFixed(2) : '-';
  console.log(`${path.relative(process.cwd(), f)}: ${r.skipped ? `skipped (${r.skipped})` : `${r.packets} packets, ${r.agreeing}/${r.compared} (${pct}%), ${r.crashes.length} crashes`}`);
  for (const d of r.disagreements.slice(0, show)) console.log(`    #${d.packet} ${d.field}: ours ${JSON.stringify(d.ours)} tshark ${JSON.stringify(d.theirs)}`);
  for (const c of r.crashes.slice(0, 5)) console.log(`    crash #${c.packet}: ${c.error}`);
}
const read = results.filter((r) => !r.skipped);
console.log(`\n${read.length} of ${results.length} files compared (${results.length - read.length} skipped: not readable by Socket Lab or tshark)`);
console.log(formatTable(total(read)));
const unknown = new Set(read.flatMap((r) => r.unknownToTshark));
if (unknown.size) console.log(`fields tshark does not know (not compared): ${[...unknown].join(', ')}`);
