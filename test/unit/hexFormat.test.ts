import * as assert from 'node:assert/strict';
import { TEXT_CHAR, formatOffset, formatRow, offsetWidth, parseOffset } from '../../webview/src/hex/hexFormat';
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

  it('formats a row from bytes that start mid-stream, leaving cells outside the data empty', () => {
    const bytes = new TextEncoder().encode('hello\r\n');
    const row = formatRow(bytes, 20, 1, 16); // bytes live at 20..26, row 1 covers 16..31
    assert.equal(row.offset, '00000010');
    assert.deepEqual(row.hex.slice(0, 4), ['', '', '', '']);
    assert.deepEqual(row.hex.slice(4, 11), ['68', '65', '6c', '6c', '6f', '0d', '0a']);
    assert.deepEqual(row.text.slice(4, 11).join(''), 'hello..');
    assert.equal(row.hex[11], '');
    assert.equal(formatRow(bytes, 0, 0, 8).hex.length, 8);
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
