import * as esbuild from 'esbuild';
esbuild.buildSync({ entryPoints: ['/work/main/src/core/decode/dissect.ts'], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: '/tmp/c_cap/dissect.js', logLevel: 'error' });
const { dissect, DissectContext } = require('/tmp/c_cap/dissect.js');
import { eth, ipv4, udp, tcp, ascii, record } from '../test/unit/decodeFrames';
const proto = process.argv[2];
const rec = record(eth(proto === 'tcp' ? ipv4(tcp(ascii('x'.repeat(64)), { options: [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2] })) : ipv4(udp(ascii('x'.repeat(64))), { proto: 17 })));
const ctx = new DissectContext();
let s = 0;
for (let k = 0; k < 5; k++) {
const t = process.hrtime.bigint();
for (let i = 0; i < 300000; i++) s += dissect(rec, ctx).summary.info.length;
console.log(Number(process.hrtime.bigint() - t) / 300000, 'ns', s);
}
