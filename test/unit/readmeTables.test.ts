// README's Commands and Settings tables against package.json's contributions: a command or setting added to the
// manifest without its README row (or a row left behind after one was removed) fails here, so they cannot drift.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './helpers';

interface Manifest {
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    configuration: { properties?: Record<string, { default?: unknown }> } | { properties?: Record<string, { default?: unknown }> }[];
  };
}

const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Manifest;
const nls = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.nls.json'), 'utf8')) as Record<string, string>;
const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');

/** The rows (cells, trimmed) of the first table under the heading `## <heading>`. */
export function tableRows(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  if (start < 0) return [];
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('## ')) break;
    if (!line.startsWith('|')) {
      if (rows.length > 0) break;
      continue;
    }
    // a cell may hold an escaped pipe (`text?\|hex?`)
    rows.push(line.slice(1, line.trimEnd().length - 1).split(/(?<!\\)\|/).map((c) => c.trim()));
  }
  return rows.slice(2); // the header and its --- line
}

/** `socketLab.x.y {args}` → socketLab.x.y */
const idOf = (cell: string) => /^`([\w.]+)[ `]/.exec(cell)?.[1];

const localized = (s: string) => s.replace(/^%(.+)%$/, (_, k: string) => nls[k] ?? s);

/** How README's Default column writes a setting's default: strings bare (the empty one as ""), the rest as JSON. */
function defaultCell(v: unknown): string {
  if (typeof v === 'string') return v === '' ? '`""`' : `\`${v}\``;
  return `\`${JSON.stringify(v)}\``;
}

describe('README tables', () => {
  it('reads the rows of a table, escaped pipes kept inside their cell', () => {
    const md = '## T\n\ntext\n\n| A | B |\n|---|---|\n| `x {a\\|b}` | one |\n| y | two |\n\nafter\n| z | not this table |\n';
    assert.deepEqual(tableRows(md, 'T'), [['`x {a\\|b}`', 'one'], ['y', 'two']]);
    assert.equal(idOf('`x.y {a}`'), 'x.y');
    assert.equal(idOf('`x.y`'), 'x.y');
  });

  it('has a Commands row for every contributed command, titled as the palette shows it, and none for a command that is gone', () => {
    const rows = tableRows(readme, 'Commands');
    assert.ok(rows.length > 0, 'README has a Commands table');
    const byId = new Map(rows.map((r) => [idOf(r[1]), r]));
    const missing = manifest.contributes.commands.filter((c) => !byId.has(c.command)).map((c) => c.command);
    assert.deepEqual(missing, [], 'contributed commands without a README row');
    for (const c of manifest.contributes.commands) {
      const title = `${c.category ? `${localized(c.category)}: ` : ''}${localized(c.title)}`;
      assert.equal(byId.get(c.command)![0], title, `README's title of ${c.command}`);
    }
    const ids = new Set(manifest.contributes.commands.map((c) => c.command));
    assert.deepEqual(rows.map((r) => idOf(r[1])).filter((id) => !ids.has(id!)), [], 'README rows for commands not contributed');
  });

  it('has a Settings row for every contributed setting, with its default, and none for a setting that is gone', () => {
    const rows = tableRows(readme, 'Settings');
    assert.ok(rows.length > 0, 'README has a Settings table');
    const props = Object.assign({}, ...[manifest.contributes.configuration].flat().map((c) => c.properties ?? {})) as Record<string, { default?: unknown }>;
    const byKey = new Map(rows.map((r) => [/^`([\w.]+)`$/.exec(r[0])?.[1], r]));
    assert.deepEqual(Object.keys(props).filter((k) => !byKey.has(k)), [], 'contributed settings without a README row');
    for (const [k, p] of Object.entries(props)) assert.equal(byKey.get(k)![1], defaultCell(p.default), `README's default of ${k}`);
    assert.deepEqual([...byKey.keys()].filter((k) => !(k! in props)), [], 'README rows for settings not contributed');
  });
});
