// A large pcap (Ethernet, microsecond stamps) written as a stream, for benches that need a file of a given size
// without holding it: `frames` calls `put` once per frame, and frame i is stamped i × stepUs after a fixed start.
import * as fs from 'node:fs';
import { PcapWriter } from '../src/core/pcap/pcapWriter';

/** Writes `file`; returns the number of frames put. */
export function writePcapStream(file: string, stepUs: number, frames: (put: (frame: Uint8Array) => void) => void): number {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, new PcapWriter({ linkType: 1 }).header()); // Ethernet
  const chunk = new Uint8Array(8 << 20);
  const cv = new DataView(chunk.buffer);
  let o = 0;
  let n = 0;
  try {
    frames((f) => {
      if (o + 16 + f.length > chunk.length) {
        fs.writeSync(fd, chunk, 0, o);
        o = 0;
      }
      const us = n * stepUs;
      cv.setUint32(o, 1_700_000_000 + Math.floor(us / 1e6), true);
      cv.setUint32(o + 4, us % 1e6, true);
      cv.setUint32(o + 8, f.length, true);
      cv.setUint32(o + 12, f.length, true);
      chunk.set(f, o + 16);
      o += 16 + f.length;
      n++;
    });
    fs.writeSync(fd, chunk, 0, o);
  } finally {
    fs.closeSync(fd);
  }
  return n;
}
