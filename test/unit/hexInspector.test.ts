import * as assert from 'node:assert/strict';
import { formatFloat32, inspect } from '../../webview/src/hex/inspector';

const row = (rows: ReturnType<typeof inspect>, id: string) => {
  const r = rows.find((x) => x.id === id);
  assert.ok(r, `row ${id}`);
  return r;
};

describe('hex viewer: data inspector', () => {
  it('decodes integers both ways round, agreeing with Node Buffer readers', () => {
    const bytes = Uint8Array.from([0xfe, 0xff, 0x01, 0x80, 0x10, 0x20, 0x30, 0xc0]);
    const b = Buffer.from(bytes);
    const rows = inspect(bytes);
    assert.equal(row(rows, 'int8').le, String(b.readInt8(0)));
    assert.equal(row(rows, 'uint8').le, '254');
    assert.equal(row(rows, 'int16').le, String(b.readInt16LE(0)));
    assert.equal(row(rows, 'int16').be, String(b.readInt16BE(0)));
    assert.equal(row(rows, 'uint32').le, String(b.readUInt32LE(0)));
    assert.equal(row(rows, 'int32').be, String(b.readInt32BE(0)));
    assert.equal(row(rows, 'int64').le, String(b.readBigInt64LE(0)));
    assert.equal(row(rows, 'uint64').be, String(b.readBigUInt64BE(0)));
    assert.equal(row(rows, 'float64').be, String(b.readDoubleBE(0)));
  });

  it('leaves a type empty when too few bytes follow the cursor', () => {
    const rows = inspect(Uint8Array.from([1, 2, 3]));
    assert.equal(row(rows, 'int16').be, String(0x0102));
    assert.equal(row(rows, 'int32').le, '');
    assert.equal(row(rows, 'ipv4').le, '');
  });

  it('prints float32 as the shortest decimal that reads back the same', () => {
    const b = Buffer.alloc(4);
    b.writeFloatBE(1.1);
    assert.equal(row(inspect(new Uint8Array(b)), 'float32').be, '1.1');
    assert.equal(formatFloat32(Math.fround(0.1)), '0.1');
    assert.equal(formatFloat32(NaN), 'NaN');
  });

  it('reads an IPv4 address and strings in utf-8 and gbk (年 is e5 b9 b4 and c4 ea)', () => {
    assert.equal(row(inspect(Uint8Array.from([127, 0, 0, 1])), 'ipv4').le, '127.0.0.1');
    assert.equal(row(inspect(Uint8Array.from([0xe5, 0xb9, 0xb4]), { selectionLength: 3 }), 'utf8').le, '"年"');
    assert.equal(row(inspect(Uint8Array.from([0xc4, 0xea]), { selectionLength: 2 }), 'gbk').le, '"年"');
    assert.match(row(inspect(Uint8Array.from([0xc4, 0xea]), { selectionLength: 2 }), 'utf8').le, /not valid/);
  });

  it('follows a length prefix to the body it announces, and says when the body is incomplete', () => {
    const msg = Uint8Array.from([0x00, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f]);
    assert.equal(row(inspect(msg), 'len2be').le, '5 bytes announced, all present: 68 65 6c 6c 6f');
    assert.match(row(inspect(msg), 'len2le').le, /^1280 bytes announced, 5 present/);
    const cut = Uint8Array.from([0, 0, 0, 9, 1, 2]);
    assert.equal(row(inspect(cut), 'len4be').le, '9 bytes announced, 2 present: 01 02');
    // the stream holds more than the bytes handed over: the count comes from `available`
    assert.match(row(inspect(cut, { available: 13 }), 'len4be').le, /all present/);
  });
});
