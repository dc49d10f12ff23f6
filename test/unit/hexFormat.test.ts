import * as assert from 'node:assert/strict';
import { TEXT_CHAR, formatOffset, offsetWidth, parseOffset } from '../../webview/src/hex/hexFormat';
import { HEX_BYTE } from '../../src/shared/format';

describe('hex viewer: row formatting with lookup tables', () => {
  it('has a two-digit table entry and a one-cell text entry for every byte', () => {
    for (let b = 0; b < 256; b++) {
      assert.equal(HEX_BYTE[b], b.toString(16).padStart(2, '0'));
      assert.equal(TEXT_CHAR[b].length, 1);
      assert.equal(TEXT_CHAR[b], b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.');
    }
  });

  it('formats offsets like xxd and widens past 4 GiB', () => {
    for (const n of [0, 1, 255, 256, 0xabcdef, 0xffffffff, 2 ** 40 + 5]) assert.equal(formatOffset(n, offsetWidth(n + 1)), n.toString(16).padStart(offsetWidth(n + 1), '0'));
    assert.equal(offsetWidth(100), 8);
    assert.equal(offsetWidth(2 ** 32 + 1), 10);
  });

  it('parses go-to offsets in decimal and hex, and refuses anything else', () => {
    assert.equal(parseOffset('31'), 31);
    assert.equal(parseOffset('0x1f'), 31);
    assert.equal(parseOffset(' 1Fh '), 31);
    assert.equal(parseOffset('-1'), undefined);
    assert.equal(parseOffset('1e3'), undefined);
    assert.equal(parseOffset('zz'), undefined);
  });
});
