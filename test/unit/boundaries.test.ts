import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { filesUnder, repoRoot } from './helpers';

// ARCHITECTURE.md rule 1: only src/vscode and the composition root may import 'vscode'.
const importsVscode = /(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"]vscode['"]/;
// src/shared is also imported by the webview, so it must not use Node built-ins.
const importsNode = /(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"](?:node:[a-z_/]+|fs|net|dgram|path|os|child_process|buffer|events|stream|crypto)['"]|\bBuffer\b/;

describe('layer boundaries', () => {
  const restricted = ['src/core', 'src/shared', 'webview/src', 'native'].flatMap((d) => filesUnder(d, ['.ts']));

  it('finds the layer folders', () => {
    assert.ok(restricted.length >= 3, `expected source files, found ${restricted.length}`);
  });

  it("no file under src/core, src/shared, webview or native imports 'vscode'", () => {
    const offenders = restricted.filter((f) => importsVscode.test(fs.readFileSync(f, 'utf8')));
    assert.deepEqual(offenders.map((f) => path.relative(repoRoot, f)), []);
  });

  it('src/shared uses no Node built-ins', () => {
    const offenders = filesUnder('src/shared', ['.ts']).filter((f) => importsNode.test(fs.readFileSync(f, 'utf8')));
    assert.deepEqual(offenders.map((f) => path.relative(repoRoot, f)), []);
  });

  it('the detector itself catches an import of vscode', () => {
    assert.ok(importsVscode.test(`import * as vscode from 'vscode';`));
    assert.ok(importsVscode.test(`const v = require("vscode")`));
    assert.ok(!importsVscode.test(`import { x } from './vscodeish';`));
  });
});
