import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { filesUnder, repoRoot } from './helpers';

const readJson = (f: string) => JSON.parse(fs.readFileSync(path.join(repoRoot, f), 'utf8')) as Record<string, unknown>;
const sorted = (o: object) => Object.keys(o).sort();

/** String literals passed to l10n.t( … ) in the extension sources. */
export function l10nKeysInSource(source: string): string[] {
  const keys: string[] = [];
  const re = /l10n\.t\(\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\$]|\\.)*`)/g;
  // evaluate the literal exactly as JavaScript does, so every escape means what it means at run time
  for (const m of source.matchAll(re)) keys.push(new Function(`return ${m[1]};`)() as string);
  return keys;
}

/** Keys passed to t('…') in the webviews (their localization helper, webview/src/strings.ts). */
export function webviewKeysInSource(source: string): string[] {
  const keys: string[] = [];
  for (const m of source.matchAll(/\bt\(\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")/g)) keys.push(new Function(`return ${m[1]};`)() as string);
  return keys;
}

describe('localization', () => {
  it('package.nls.json and package.nls.zh-cn.json have the same keys', () => {
    assert.deepEqual(sorted(readJson('package.nls.zh-cn.json')), sorted(readJson('package.nls.json')));
  });

  it('every %key% in package.json exists in package.nls.json', () => {
    const nls = readJson('package.nls.json');
    const used = [...fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8').matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]);
    assert.ok(used.length > 0);
    assert.deepEqual(used.filter((k) => !(k in nls)), []);
  });

  it('every vscode.l10n.t string has a zh-cn translation, and no translation is orphaned', () => {
    const zh = readJson('l10n/bundle.l10n.zh-cn.json');
    const files = [...filesUnder('src', ['.ts'])];
    const used = new Set(files.flatMap((f) => l10nKeysInSource(fs.readFileSync(f, 'utf8'))));
    // the webviews' t('…') strings travel in the bundle the host sends (src/vscode/panels/panelStrings.ts)
    const pages = filesUnder('webview/src', ['.ts']).flatMap((f) => webviewKeysInSource(fs.readFileSync(f, 'utf8')));
    assert.ok(used.size > 0 && pages.length > 50);
    for (const k of pages) used.add(k);
    assert.deepEqual([...used].filter((k) => !(k in zh)).sort(), [], 'missing in l10n/bundle.l10n.zh-cn.json');
    assert.deepEqual(Object.keys(zh).filter((k) => !used.has(k)).sort(), [], 'not used in any l10n.t call');
  });

  it('the key extractors read quoted and escaped strings', () => {
    assert.deepEqual(l10nKeysInSource(`vscode.l10n.t('it\\'s {0}', x); l10n.t("b")`), ["it's {0}", 'b']);
    assert.deepEqual(webviewKeysInSource(`t('it\\'s {0}', x); split('no'); t("b")`), ["it's {0}", 'b']);
  });
});
