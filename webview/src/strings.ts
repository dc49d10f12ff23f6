// Localized strings for the webview: the extension host sends a table built with vscode.l10n.t,
// keyed by the English text, so the webview never ships its own translations.
let table: Readonly<Record<string, string>> = {};

export function setStrings(strings: Readonly<Record<string, string>>): void {
  table = strings;
}

/** `s` with {0}, {1} … filled in from `args` (placeholders without an argument stay). */
export function format(s: string, ...args: (string | number)[]): string {
  return args.length ? s.replace(/\{(\d+)\}/g, (m, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : m)) : s;
}

/** The localized form of `key` with {0}, {1} … filled in; the English key when untranslated. */
export function t(key: string, ...args: (string | number)[]): string {
  return format(table[key] ?? key, ...args);
}
