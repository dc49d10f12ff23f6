// Finds a working Python 3 among candidates (Python extension, setting, python3 / py -3); no vscode here.
import { execFile } from 'node:child_process';

export interface PythonInterpreter {
  command: string;
  args: string[];
  /** Where the candidate came from, for messages: 'python-extension' | 'setting' | 'default'. */
  source: string;
}

export interface InterpreterFound {
  ok: true;
  interpreter: PythonInterpreter;
  version: string;
}

export interface InterpreterMissing {
  ok: false;
  code: 'ENOPYTHON';
  tried: { interpreter: PythonInterpreter; reason: string }[];
}

const PROBE = 'import sys; print("%d.%d.%d" % sys.version_info[:3]); sys.exit(0 if sys.version_info[0] == 3 else 3)';

/** The fallbacks after the Python extension and the setting: python3 then python (py -3 first on Windows). */
export function defaultInterpreterCandidates(platform: NodeJS.Platform = process.platform): PythonInterpreter[] {
  return platform === 'win32'
    ? [{ command: 'py', args: ['-3'], source: 'default' }, { command: 'python', args: [], source: 'default' }]
    : [{ command: 'python3', args: [], source: 'default' }, { command: 'python', args: [], source: 'default' }];
}

/** Runs `<candidate> -c PROBE` (argument array, no shell); resolves the version or a reason. */
export function probeInterpreter(candidate: PythonInterpreter, timeoutMs = 5000): Promise<{ version?: string; reason?: string }> {
  return new Promise((resolve) => {
    execFile(candidate.command, [...candidate.args, '-c', PROBE], { timeout: timeoutMs, windowsHide: true }, (err, stdout) => {
      const version = String(stdout).trim();
      if (!err && /^3\.\d+\.\d+$/.test(version)) resolve({ version });
      else if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') resolve({ reason: 'not found' });
      else if (/^[12]\./.test(version)) resolve({ reason: `is Python ${version}, not Python 3` });
      else resolve({ reason: err ? err.message.split('\n')[0] : `unexpected output "${version.slice(0, 40)}"` });
    });
  });
}

/** The first candidate that really runs Python 3, in the order given. */
export async function resolveInterpreter(candidates: PythonInterpreter[], timeoutMs = 5000): Promise<InterpreterFound | InterpreterMissing> {
  const tried: InterpreterMissing['tried'] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    const key = [c.command, ...c.args].join('\0');
    if (!c.command || seen.has(key)) continue;
    seen.add(key);
    const r = await probeInterpreter(c, timeoutMs);
    if (r.version) return { ok: true, interpreter: c, version: r.version };
    tried.push({ interpreter: c, reason: r.reason ?? 'failed' });
  }
  return { ok: false, code: 'ENOPYTHON', tried };
}
