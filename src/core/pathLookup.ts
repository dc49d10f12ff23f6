// Finds a program on PATH the way a shell does, without running anything (no `which`, no shell).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

export interface PathLookupEnv {
  PATH?: string;
  Path?: string;
  PATHEXT?: string;
}

/** The first `name` on PATH that is a file we may run, or undefined. Windows tries each PATHEXT extension. */
export async function findExecutable(name: string, env: PathLookupEnv = process.env, platform: NodeJS.Platform = process.platform): Promise<string | undefined> {
  const win = platform === 'win32';
  const delimiter = win ? ';' : ':';
  const dirs = (env.PATH ?? env.Path ?? '').split(delimiter).filter((d) => d.trim() !== '');
  const exts = win ? ['', ...(env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean)] : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const file = path.join(dir.replace(/^"(.*)"$/, '$1'), name + ext);
      try {
        const st = await fs.stat(file);
        if (!st.isFile()) continue;
        if (!win) await fs.access(file, fs.constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}
