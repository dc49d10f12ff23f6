import * as path from 'node:path';
import { repoRoot } from './helpers';

/** Where each grammar wasm lives in node_modules (the extension copies them into dist/). */
export const wasmFromNodeModules = (file: string): string => {
  const pkg = file === 'tree-sitter.wasm' ? 'web-tree-sitter' : /^tree-sitter-(tsx|typescript)\.wasm$/.test(file) ? 'tree-sitter-typescript' : file.replace(/\.wasm$/, '');
  return path.join(repoRoot, 'node_modules', pkg, file);
};
