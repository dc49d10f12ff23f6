// The launch configuration of Debug File: debugpy for Python, VS Code's Node.js debugger for JavaScript and TypeScript,
// with the call recorder's environment (PYTHONPATH, NODE_OPTIONS) so a debugged run records its socket calls as Run
// File's does. Plain data: the VS Code side passes it to vscode.debug.startDebugging.
import * as path from 'node:path';
import type { ProgramLanguage } from './programSession';

export interface DebugTarget {
  /** Absolute path of the program. */
  file: string;
  language: ProgramLanguage;
  /** The debug session's name. */
  name: string;
  /** Put in the configuration so the adapter tracker finds Socket Lab's watch of this run. */
  watchId: string;
  /** A workspace's tsx for TypeScript (else Node's own type stripping). */
  tsx?: string;
  /** Extra environment (the call recorder's). */
  env?: Record<string, string>;
}

export interface DebugLaunchConfig {
  type: 'debugpy' | 'node';
  request: 'launch';
  name: string;
  program: string;
  console: 'internalConsole';
  cwd: string;
  socketLabWatchId: string;
  env?: Record<string, string>;
  runtimeExecutable?: string;
  runtimeArgs?: string[];
  [key: string]: unknown;
}

/**
 * internalConsole: the program's output arrives as debug-protocol events, where errors can be recognised. The
 * debuggers add their own pieces to the environment (debugpy its launcher, js-debug its --require bootloader after
 * ours in NODE_OPTIONS), so ours is passed as the configuration's `env`.
 */
export function debugConfiguration(t: DebugTarget): DebugLaunchConfig {
  const base = {
    request: 'launch' as const, name: t.name, program: t.file, console: 'internalConsole' as const, cwd: path.dirname(t.file),
    socketLabWatchId: t.watchId, ...(t.env ? { env: t.env } : {}),
  };
  if (t.language === 'python') return { type: 'debugpy', ...base };
  const runtime = t.tsx ? { runtimeExecutable: t.tsx } : t.language === 'typescript' ? { runtimeArgs: ['--experimental-strip-types'] } : {};
  return { type: 'node', ...base, ...runtime };
}
