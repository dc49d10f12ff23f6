// One lazily created tree-sitter loader for the extension; the wasm files ship in dist/ next to extension.js.
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { GrammarLoader } from '../../core/analysis/grammarLoader';

let loader: GrammarLoader | undefined;

export function grammarLoader(context: vscode.ExtensionContext): GrammarLoader {
  if (!loader) {
    const l = new GrammarLoader((file) => context.asAbsolutePath(path.join('dist', file)));
    loader = l;
    context.subscriptions.push({
      dispose: () => {
        l.dispose();
        if (loader === l) loader = undefined;
      },
    });
  }
  return loader;
}
