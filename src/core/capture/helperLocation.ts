// Where the capture helper lives: bundled next to us in dist/, or the TypeScript source in a checkout (tests, CLI via tsx).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HelperLaunch } from './helperProcess';

/** The Node that runs the helper: an explicit setting, else plain Node's own binary, else `node` on PATH (VS Code's host is Electron). */
export function defaultNodePath(setting?: string): string {
  if (setting && setting.trim()) return setting.trim();
  return process.versions.electron ? 'node' : process.execPath;
}

/**
 * Finds the helper script. `distDir` is where the bundle sits (the extension's or CLI's dist folder).
 * Falls back to native/captureHelper.ts run through tsx when running from source.
 */
export function helperLaunch(nodePath: string, distDir?: string): HelperLaunch {
  const candidates = [distDir, __dirname].filter((d): d is string => !!d).map((d) => path.join(d, 'captureHelper.js'));
  for (const c of candidates) if (fs.existsSync(c)) return { nodePath, helperPath: c };
  const source = path.resolve(__dirname, '..', '..', '..', 'native', 'captureHelper.ts');
  if (fs.existsSync(source)) {
    return { nodePath, nodeArgs: ['--import', 'tsx'], helperPath: source, cwd: path.resolve(__dirname, '..', '..', '..') };
  }
  return { nodePath, helperPath: candidates[0] ?? 'captureHelper.js' };
}

/** Under Electron without a `node` on PATH, the host's own binary can run the helper as plain Node (cap may then not load; dumpcap still works). */
export function electronFallbackLaunch(launch: HelperLaunch): HelperLaunch | undefined {
  if (!process.versions.electron || launch.nodePath === process.execPath) return undefined;
  return { ...launch, nodePath: process.execPath, env: { ...launch.env, ELECTRON_RUN_AS_NODE: '1' } };
}
