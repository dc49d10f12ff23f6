// Unix socket paths: the kernel's length limit (checked, never truncated) and a private folder for default names.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SocketLabError } from '../errors';

/**
 * Usable bytes of a socket path: sun_path is 108 bytes on Linux and 104 on macOS and the BSDs, one of them the
 * terminating NUL. undefined on Windows, where Node's "Unix" paths are named pipes.
 */
export function unixPathLimit(platform: NodeJS.Platform = process.platform): number | undefined {
  if (platform === 'win32') return undefined;
  return platform === 'linux' || platform === 'android' ? 107 : 103;
}

const osNames: Partial<Record<NodeJS.Platform, string>> = { linux: 'Linux', android: 'Android', darwin: 'macOS', freebsd: 'FreeBSD', openbsd: 'OpenBSD', netbsd: 'NetBSD', sunos: 'Solaris', aix: 'AIX' };

/** Returns the path, or throws ENAMETOOLONG naming the limit: libuv would otherwise bind a truncated name. */
export function checkUnixPath(p: string, platform: NodeJS.Platform = process.platform): string {
  if (!p) throw new SocketLabError('EBADADDR', { value: '' });
  const limit = unixPathLimit(platform);
  const bytes = Buffer.byteLength(p, 'utf8');
  if (limit !== undefined && bytes > limit) {
    throw new SocketLabError('ENAMETOOLONG', { path: p, bytes, limit, os: osNames[platform] ?? platform });
  }
  return p;
}

/** $XDG_RUNTIME_DIR when it is a folder only we can enter, else the OS temp folder. */
function privateBase(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && path.isAbsolute(xdg)) {
    try {
      const st = fs.statSync(xdg);
      if (st.isDirectory() && (process.getuid === undefined || st.uid === process.getuid())) return xdg;
    } catch {
      // not there: fall back to the temp folder
    }
  }
  return os.tmpdir();
}

/**
 * A folder of our own (mode 0700, a fresh name from mkdtemp) for the socket names Socket Lab invents, so another
 * local user cannot take a predictable name in /tmp first. Created on first use, removed by dispose().
 */
export class PrivateSocketDir {
  private dir: string | undefined;
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** The folder, created (again, if something removed it) on demand. */
  get path(): string {
    if (this.dir && fs.existsSync(this.dir)) return this.dir;
    const dir = fs.mkdtempSync(path.join(privateBase(this.env), 'socket-lab-'));
    fs.chmodSync(dir, 0o700); // mkdtemp already uses 0700; say it, whatever the umask
    this.dir = dir;
    return dir;
  }

  /** `name` inside the private folder. */
  socketPath(name: string): string {
    return path.join(this.path, name);
  }

  dispose(): void {
    const dir = this.dir;
    this.dir = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

let shared: PrivateSocketDir | undefined;

/** The process's private socket folder; removed when the process exits (or when its owner disposes it). */
export function sharedSocketDir(): PrivateSocketDir {
  if (!shared) {
    const dir = new PrivateSocketDir();
    shared = dir;
    process.once('exit', () => dir.dispose());
  }
  return shared;
}
