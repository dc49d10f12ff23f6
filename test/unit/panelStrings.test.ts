import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { filesUnder, repoRoot } from './helpers';
import { l10nKeysInSource } from './l10n.test';

/** Keys passed to t('…') in the session webview (the webview's own localization helper). */
function webviewKeys(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/\bt\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g)) out.push((m[1] ?? m[2]).replace(/\\(['"\\])/g, '$1'));
  return out;
}

describe('session panel: localized webview strings', () => {
  it('every t() string of the session webview is localized through vscode.l10n.t in panelStrings.ts', () => {
    const files = [...filesUnder('webview/src/session', ['.ts']), path.join(repoRoot, 'webview/src/strings.ts')];
    const used = new Set(files.flatMap((f) => webviewKeys(fs.readFileSync(f, 'utf8'))));
    assert.ok(used.size > 50, `only ${used.size} strings found`);
    const table = new Set(l10nKeysInSource(fs.readFileSync(path.join(repoRoot, 'src/vscode/panels/panelStrings.ts'), 'utf8')));
    assert.deepEqual([...used].filter((k) => !table.has(k)).sort(), [], 'add these to src/vscode/panels/panelStrings.ts (and l10n/bundle.l10n.zh-cn.json)');
  });
});
