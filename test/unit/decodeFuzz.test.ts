// The seeded fuzz run, small enough for the unit suite; scripts/fuzzDecode.ts runs ≥ 100,000 frames per link type.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fuzzCaptureReader, fuzzDissect, fuzzLinkTypes } from './decodeFuzzCore';
import { repoRoot } from './helpers';

describe('decode fuzz (seeded)', function () {
  this.timeout(120000);

  it('5,000 random and mutated frames per link type: nothing throws, nothing reaches past the captured bytes', () => {
    const stats = fuzzDissect(20261122, 5000);
    assert.equal(stats.frames, 5000 * fuzzLinkTypes.length);
    // The mutations must still reach the deep dissectors, or the run proves little.
    for (const deep of ['tcp', 'udp', 'dns', 'http', 'icmp', 'icmpv6', 'arp']) assert.ok((stats.layers[deep] ?? 0) > 0, `no frame reached ${deep}: ${JSON.stringify(stats.layers)}`);
    assert.ok(stats.malformed > 0 && stats.malformed < stats.frames);
  });

  it('2,000 mutated pcap/pcapng streams in random chunks: packets or a coded CaptureFormatError, never anything else', () => {
    const dir = path.join(repoRoot, 'test', 'fixtures', 'decode');
    const real = fs.readdirSync(dir).map((f) => new Uint8Array(fs.readFileSync(path.join(dir, f))));
    const stats = fuzzCaptureReader(7, 2000, real);
    assert.equal(stats.streams, 2000);
    assert.ok(stats.rejected > 0 && stats.rejected < stats.streams, JSON.stringify(stats));
    assert.ok(stats.packets > 0);
  });
});
