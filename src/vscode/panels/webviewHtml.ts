// The HTML shell of a Socket Lab webview: strict CSP (default-src 'none'), the one bundle from
// dist/webview loaded by nonce, and <body data-view> choosing which app main.ts starts.
import { randomBytes } from 'node:crypto';
import type * as vscode from 'vscode';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A page that only says one sentence (a file that could not be opened): no script at all, nothing loaded. */
export function messageHtml(text: string, lang: string): string {
  return `<!DOCTYPE html>
<html lang="${esc(lang)}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'">
</head>
<body><p>${esc(text)}</p></body>
</html>`;
}

export function webviewHtml(webview: vscode.Webview, root: vscode.Uri, view: string, lang: string): string {
  const nonce = randomBytes(18).toString('base64');
  const js = webview.asWebviewUri(joinPath(root, 'main.js'));
  const css = webview.asWebviewUri(joinPath(root, 'main.css'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="${esc(lang)}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${esc(css.toString())}" nonce="${nonce}">
</head>
<body data-view="${esc(view)}">
<div id="root"></div>
<script nonce="${nonce}" src="${esc(js.toString())}"></script>
</body>
</html>`;
}

// vscode.Uri.joinPath without importing vscode as a value (keeps this file loadable in unit tests).
function joinPath(root: vscode.Uri, file: string): vscode.Uri {
  return root.with({ path: root.path.replace(/\/$/, '') + '/' + file });
}
