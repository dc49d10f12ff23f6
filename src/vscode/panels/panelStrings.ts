// The webviews' strings. A page calls t('English text') (webview/src/strings.ts) and ships no translations: the host
// sends the bundle VS Code loaded for the UI language (none in English, where t() keeps its English key).
// test/unit/l10n.test.ts checks that every t('…') in webview/src has its zh-cn translation.
import * as vscode from 'vscode';

export function panelStrings(): Readonly<Record<string, string>> {
  return vscode.l10n.bundle ?? {};
}
