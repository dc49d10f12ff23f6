// Activation cost of the shipped bundle (dist/extension.js): the time to load it and to run activate(), under a
// stand-in `vscode` module that accepts every call (so what is measured is Socket Lab's own work). The baseline in the
// same run is loading web-tree-sitter and iconv-lite alone, the two largest libraries the bundle carries.
// Run `npm run build` first.
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const bundle = path.join(root, 'dist', 'extension.js');
if (!fs.existsSync(bundle)) throw new Error('dist/extension.js is missing: run npm run build first');

/** Anything: callable, constructible, every property another of itself; thenable resolves to undefined. */
function anything(): unknown {
  const f = function () {} as unknown as Record<string | symbol, unknown>;
  return new Proxy(f, {
    get: (_t, p) => (p === 'then' ? undefined : p === Symbol.toPrimitive ? () => '' : p === Symbol.iterator ? function* () {} : anything()),
    set: () => true,
    defineProperty: () => true,
    apply: () => anything(),
    construct: () => anything() as object,
  });
}

// every name the real module exports (read from its type declarations), each a stand-in
const names = new Set([...fs.readFileSync(path.join(root, 'node_modules', '@types', 'vscode', 'index.d.ts'), 'utf8').matchAll(/^(?:\t|\s{4})export (?:class|enum|namespace|const|function|let) (\w+)/gm)].map((m) => m[1]));
const vscodeStub = Object.fromEntries([...names].map((n) => [n, anything()]));
const load = (Module as unknown as { _load: (req: string, parent: unknown, isMain: boolean) => unknown })._load;
(Module as unknown as { _load: typeof load })._load = (req, parent, isMain) => (req === 'vscode' ? vscodeStub : load(req, parent, isMain));

function ms(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-activation-'));
const context = new Proxy(
  { subscriptions: [] as unknown[], extensionPath: root, globalStorageUri: { fsPath: storage }, extension: { id: 'socket-lab.socket-lab', packageJSON: { version: '0' } } },
  { get: (t, p) => (p in t ? (t as Record<string | symbol, unknown>)[p] : anything()) },
);

/* eslint-disable @typescript-eslint/no-require-imports -- timing CommonJS loads is the point */
const floor = ms(() => {
  require('web-tree-sitter');
  require('iconv-lite');
});
let ext: { activate: (c: unknown) => unknown } | undefined;
const loadMs = ms(() => (ext = require(bundle)));
/* eslint-enable @typescript-eslint/no-require-imports */
let activateMs = NaN;
try {
  activateMs = ms(() => ext!.activate(context));
} catch (e) {
  console.log(`activate() under the stand-in threw (${e instanceof Error ? e.message : String(e)}); load time only`);
}
const kib = fs.statSync(bundle).size / 1024;
console.log(`bundle ${kib.toFixed(0)} KiB: load ${loadMs.toFixed(1)} ms, activate() ${activateMs.toFixed(1)} ms; web-tree-sitter + iconv-lite alone ${floor.toFixed(1)} ms; (load+activate)/baseline = ${((loadMs + (activateMs || 0)) / Math.max(floor, 0.1)).toFixed(1)}×`);
fs.rmSync(storage, { recursive: true, force: true });
setTimeout(() => process.exit(0), 100).unref();
