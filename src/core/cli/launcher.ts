// The `socket-lab` launcher the extension puts on every integrated terminal's PATH.
// It runs the bundled CLI with VS Code's own runtime (ELECTRON_RUN_AS_NODE=1), as VS Code's `code` launcher does:
// always present, always the Node the extension was built for, whatever `node` (or none) the terminal's PATH has.
// SOCKET_LAB_NODE=/path/to/node (20 or newer) runs it with another Node instead.

export interface LauncherTarget {
  /** VS Code's runtime: Electron (desktop) or Node (code-server, remote servers), i.e. `process.execPath`. */
  runtime: string;
  /** The bundled CLI, `<extension>/dist/cli.js`. */
  cli: string;
}

/** The launcher's file name: a .cmd on Windows (found through PATHEXT), a plain script elsewhere. */
export function launcherFileName(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'socket-lab.cmd' : 'socket-lab';
}

/** One argument for sh, in single quotes (a quote inside becomes '\''). */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A path for a .cmd line: in double quotes (Windows paths cannot contain them), % doubled so cmd keeps it. */
function cmdQuote(s: string): string {
  return `"${s.replace(/%/g, '%%')}"`;
}

/** The launcher's text for `platform`. */
export function launcherScript(platform: NodeJS.Platform, target: LauncherTarget): string {
  if (platform === 'win32') {
    return [
      '@echo off',
      'rem socket-lab: written by the Socket Lab extension; runs its bundled CLI with VS Code\'s runtime.',
      'setlocal',
      'set "ELECTRON_RUN_AS_NODE=1"',
      `set "SOCKET_LAB_RUNTIME=${target.runtime.replace(/%/g, '%%')}"`,
      'if defined SOCKET_LAB_NODE set "SOCKET_LAB_RUNTIME=%SOCKET_LAB_NODE%"',
      `"%SOCKET_LAB_RUNTIME%" ${cmdQuote(target.cli)} %*`,
      'exit /b %ERRORLEVEL%',
      '',
    ].join('\r\n');
  }
  return [
    '#!/bin/sh',
    '# socket-lab: written by the Socket Lab extension; runs its bundled CLI with VS Code\'s runtime.',
    `if [ -n "$SOCKET_LAB_NODE" ]; then exec "$SOCKET_LAB_NODE" ${shQuote(target.cli)} "$@"; fi`,
    'ELECTRON_RUN_AS_NODE=1',
    'export ELECTRON_RUN_AS_NODE',
    `exec ${shQuote(target.runtime)} ${shQuote(target.cli)} "$@"`,
    '',
  ].join('\n');
}
