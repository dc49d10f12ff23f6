// Bundles every part of Socket Lab: extension host, CLI, capture helper (Node) and webview (browser).
const esbuild = require('esbuild');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'info',
};

// web-tree-sitter's ESM build needs import.meta.url, which a CJS bundle lacks: bundle its CJS build instead.
const node = { ...common, platform: 'node', format: 'cjs', target: 'node20', alias: { 'web-tree-sitter': require.resolve('web-tree-sitter') } };

const builds = [
  { ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...node, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // The helper loads `cap` (a native addon built for one Node ABI) at run time from node_modules.
  { ...node, entryPoints: ['native/captureHelper.ts'], outfile: 'dist/captureHelper.js', external: ['cap'] },
  {
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: { main: 'webview/src/main.ts' },
    outdir: 'dist/webview',
    loader: { '.ttf': 'file' },
  },
];

// tree-sitter runtime and grammars: loaded from dist/ at run time (src/vscode/editor/grammar.ts), so copy them there.
const wasmFiles = [
  'web-tree-sitter/tree-sitter.wasm',
  'tree-sitter-python/tree-sitter-python.wasm',
  'tree-sitter-javascript/tree-sitter-javascript.wasm',
  'tree-sitter-typescript/tree-sitter-typescript.wasm',
  'tree-sitter-typescript/tree-sitter-tsx.wasm',
  'tree-sitter-c/tree-sitter-c.wasm',
];

function copyWasm() {
  const fs = require('fs');
  const path = require('path');
  fs.mkdirSync('dist', { recursive: true });
  for (const f of wasmFiles) fs.copyFileSync(path.join('node_modules', f), path.join('dist', path.basename(f)));
}

// The Marketplace icon is drawn in media/icon.svg; the manifest needs a PNG (128×128 or larger), rendered here.
function renderIcon() {
  const fs = require('fs');
  const { spawnSync } = require('child_process');
  const svg = 'media/icon.svg';
  const png = 'media/icon.png';
  if (fs.existsSync(png) && fs.statSync(png).mtimeMs >= fs.statSync(svg).mtimeMs) return;
  const r = spawnSync('rsvg-convert', ['-w', '256', '-h', '256', '-o', png, svg], { stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    throw new Error(
      'Cannot render media/icon.svg to media/icon.png: rsvg-convert ' +
        (r.error ? 'is not installed' : `exited with ${r.status}`) +
        '. Install the Debian package librsvg2-bin (./scripts/setup-system.sh does) and build again.',
    );
  }
}

// The details page of an installed extension (VS Code, code-server) resolves relative image links against its own
// webview, not the extension, and offline no remote URL loads: the packaged README carries its PNGs inline as data:
// URIs and its other relative links point at the repository. vsce refuses data: images unless it is told not to
// rewrite links (--no-rewrite-relative-links), so this check makes sure no relative link is left for it to miss.
function writePackagedReadme() {
  const fs = require('fs');
  const repo = require('./package.json').repository.url.replace(/\.git$/, '');
  let text = fs.readFileSync('README.md', 'utf8');
  text = text.replace(/!\[([^\]]*)\]\((media\/[^)\s]+\.png)\)/g, (_, alt, file) => {
    return `![${alt}](data:image/png;base64,${fs.readFileSync(file).toString('base64')})`;
  });
  text = text.replace(/(?<!!)\[([^\]]*)\]\((?![a-z]+:|#)([^)\s]+)\)/g, (_, label, link) => `[${label}](${repo}/blob/HEAD/${link})`);
  const left = [...text.matchAll(/!?\[[^\]]*\]\((?![a-z]+:|#)([^)\s]+)\)/g)].map((m) => m[1]);
  if (left.length) throw new Error(`README.md links that the packaged README cannot resolve: ${left.join(', ')}`);
  fs.writeFileSync('dist/README.md', text); // `vsce package --readme-path dist/README.md` ships it as README.md
}

async function main() {
  copyWasm();
  renderIcon();
  if (production) writePackagedReadme();
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
    return;
  }
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}

main().catch((e) => {
  console.error(e instanceof Error && e.message.startsWith('Cannot render') ? e.message : e);
  process.exit(1);
});
