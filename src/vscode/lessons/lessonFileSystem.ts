// A read-only view of the extension's lessons folder, so opened lesson files cannot be edited in place.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isSafeRelativePath } from '../../core/lessons/lessonCatalog';

export const LESSON_SCHEME = 'socketlab-lesson';

export class LessonFileSystemProvider implements vscode.FileSystemProvider {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;

  constructor(private readonly root: string) {}

  /** socketlab-lesson:/01-tcp-echo/server.py for a file of the lessons folder. */
  static uri(lessonId: string, file: string): vscode.Uri {
    return vscode.Uri.from({ scheme: LESSON_SCHEME, path: `/${lessonId}/${file}` });
  }

  private resolve(uri: vscode.Uri): string {
    const rel = uri.path.replace(/^\/+/, '');
    if (rel !== '' && !isSafeRelativePath(rel)) throw vscode.FileSystemError.FileNotFound(uri);
    return path.join(this.root, rel);
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined); // shipped files do not change while VS Code runs
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    try {
      const st = fs.statSync(this.resolve(uri));
      return {
        type: st.isDirectory() ? vscode.FileType.Directory : vscode.FileType.File,
        ctime: st.ctimeMs, mtime: st.mtimeMs, size: st.size,
        permissions: vscode.FilePermission.Readonly,
      };
    } catch {
      throw vscode.FileSystemError.FileNotFound(uri);
    }
  }

  readDirectory(uri: vscode.Uri): [string, vscode.FileType][] {
    try {
      return fs.readdirSync(this.resolve(uri), { withFileTypes: true })
        .map((d) => [d.name, d.isDirectory() ? vscode.FileType.Directory : vscode.FileType.File]);
    } catch {
      throw vscode.FileSystemError.FileNotFound(uri);
    }
  }

  readFile(uri: vscode.Uri): Uint8Array {
    try {
      return fs.readFileSync(this.resolve(uri));
    } catch {
      throw vscode.FileSystemError.FileNotFound(uri);
    }
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  writeFile(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
