// Loads web-tree-sitter and the grammar wasm files lazily: nothing is read until the first file of a language is parsed.
import { Language, Parser, type Tree } from 'web-tree-sitter';

export type SourceLanguage = 'python' | 'javascript' | 'typescript' | 'tsx' | 'c';

const grammarFile: Record<SourceLanguage, string> = {
  python: 'tree-sitter-python.wasm',
  javascript: 'tree-sitter-javascript.wasm',
  typescript: 'tree-sitter-typescript.wasm',
  tsx: 'tree-sitter-tsx.wasm',
  c: 'tree-sitter-c.wasm',
};

/** VS Code language ids → grammar. */
export function languageFromId(languageId: string): SourceLanguage | undefined {
  switch (languageId) {
    case 'python':
      return 'python';
    case 'javascript':
    case 'javascriptreact':
      return 'javascript';
    case 'typescript':
      return 'typescript';
    case 'typescriptreact':
      return 'tsx';
    case 'c':
      return 'c';
    default:
      return undefined;
  }
}

/** Maps a wasm file name (`tree-sitter.wasm`, `tree-sitter-python.wasm` …) to a path on disk. */
export type WasmLocator = (fileName: string) => string;

export class GrammarLoader {
  private init: Promise<void> | undefined;
  private readonly parsers = new Map<SourceLanguage, Promise<Parser>>();
  private disposed = false;

  constructor(private readonly locate: WasmLocator) {}

  parser(lang: SourceLanguage): Promise<Parser> {
    let p = this.parsers.get(lang);
    if (!p) {
      p = this.load(lang);
      this.parsers.set(lang, p);
      // a failed load (missing wasm) may be retried later
      p.catch(() => this.parsers.delete(lang));
    }
    return p;
  }

  /** Parses text; the caller must `delete()` the tree when done (it lives in wasm memory). */
  async parse(lang: SourceLanguage, text: string): Promise<Tree> {
    const parser = await this.parser(lang);
    const tree = parser.parse(text);
    if (!tree) throw new Error(`tree-sitter could not parse this ${lang} file`);
    return tree;
  }

  private async load(lang: SourceLanguage): Promise<Parser> {
    this.init ??= Parser.init({ locateFile: (name: string) => this.locate(name) });
    await this.init;
    const language = await Language.load(this.locate(grammarFile[lang]));
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.parsers.values()) p.then((x) => x.delete(), () => undefined);
    this.parsers.clear();
  }
}

export const grammarWasmFiles = ['tree-sitter.wasm', ...Object.values(grammarFile)];
