import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatCopy, toCArray, toPythonBytes } from '../../webview/src/hex/copyFormats';
import { formatHex } from '../../src/shared/format';

const all = Uint8Array.from({ length: 256 }, (_, i) => i);

describe('hex viewer: copy formats', () => {
  it('copies as space-separated hex that parses back', () => {
    assert.equal(formatHex(Uint8Array.from([0x48, 0x0a, 0xff])), '48 0a ff');
    assert.deepEqual(Uint8Array.from(Buffer.from(formatCopy(all, 'hex').replace(/ /g, ''), 'hex')), all);
  });

  it("copies as a Python bytes literal that real Python evaluates to the same bytes", function () {
    const lit = toPythonBytes(all);
    assert.match(toPythonBytes(new TextEncoder().encode("it's\\\n")), /^b'it\\'s\\\\\\n'$/);
    let out: string;
    try {
      out = execFileSync('python3', ['-c', `import sys; sys.stdout.write(${lit}.hex())`], { encoding: 'utf8' });
    } catch {
      return this.skip(); // no python3 on this machine
    }
    assert.equal(out, Buffer.from(all).toString('hex'));
  });

  it('copies as a C array that a C compiler accepts with the same bytes', function () {
    const src = `#include <stdio.h>\n${toCArray(all, 'data')}\nint main(void){for(unsigned i=0;i<sizeof data;i++)printf("%02x",data[i]);return 0;}\n`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-carray-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.c'), src);
      try {
        execFileSync('cc', ['-o', path.join(dir, 'a'), path.join(dir, 'a.c')], { stdio: 'pipe' });
      } catch {
        return this.skip(); // no C compiler
      }
      assert.equal(execFileSync(path.join(dir, 'a'), { encoding: 'utf8' }), Buffer.from(all).toString('hex'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(toCArray(new Uint8Array(0)), 'unsigned char data[0] = {\n};');
  });
});
