// Long seeded fuzz run of the decoders and the pcap/pcapng reader:
//   npx tsx scripts/fuzzDecode.ts [framesPerLinkType=100000] [seed=20261122] [readerStreams=20000]
// Exits non-zero on the first broken invariant and prints the offending frame in hex.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fuzzCaptureReader, fuzzDissect, fuzzLinkTypes } from '../test/unit/decodeFuzzCore';

const perLinkType = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 20261122);
const streams = Number(process.argv[4] ?? 20_000);

const t0 = Date.now();
for (const lt of fuzzLinkTypes) {
  const t = Date.now();
  const s = fuzzDissect(seed, perLinkType, [lt]);
  console.log(`link type ${lt}: ${s.frames} frames, ${s.malformed} marked malformed/truncated, top layers ${JSON.stringify(s.layers)} (${Date.now() - t} ms)`);
}
const dir = path.join(__dirname, '..', 'test', 'fixtures', 'decode');
const real = fs.readdirSync(dir).map((f) => new Uint8Array(fs.readFileSync(path.join(dir, f))));
const r = fuzzCaptureReader(seed, streams, real);
console.log(`capture reader: ${r.streams} mutated streams, ${r.rejected} rejected with a coded error, ${r.packets} packets decoded`);
console.log(`fuzz OK: ${perLinkType * fuzzLinkTypes.length} frames + ${streams} streams in ${((Date.now() - t0) / 1000).toFixed(1)} s, seed ${seed}`);
