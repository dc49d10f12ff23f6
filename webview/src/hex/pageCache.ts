// A small LRU cache of fixed-size pages with de-duplicated in-flight loads (like vscode-hexeditor's).
// A generation counter drops answers that arrive after the page was invalidated.

export class PageCache<T> {
  private readonly pages = new Map<number, T>();
  private readonly loading = new Map<number, { gen: number; promise: Promise<T> }>();
  private gen = 0;

  constructor(
    private readonly load: (index: number) => Promise<T>,
    readonly maxPages = 64,
  ) {}

  /** The page if cached (marks it recently used), without loading. */
  peek(index: number): T | undefined {
    const p = this.pages.get(index);
    if (p !== undefined) {
      this.pages.delete(index);
      this.pages.set(index, p);
    }
    return p;
  }

  has(index: number): boolean {
    return this.pages.has(index);
  }

  get size(): number {
    return this.pages.size;
  }

  /** The page, loading it once however many callers ask at the same time. */
  get(index: number): Promise<T> {
    const cached = this.peek(index);
    if (cached !== undefined) return Promise.resolve(cached);
    const inflight = this.loading.get(index);
    if (inflight && inflight.gen === this.gen) return inflight.promise;
    const gen = this.gen;
    const promise = this.load(index).then(
      (page) => {
        if (this.loading.get(index)?.promise === promise) this.loading.delete(index);
        if (gen === this.gen) this.put(index, page);
        return page;
      },
      (e: unknown) => {
        if (this.loading.get(index)?.promise === promise) this.loading.delete(index);
        throw e;
      },
    );
    this.loading.set(index, { gen, promise });
    return promise;
  }

  put(index: number, page: T): void {
    this.pages.delete(index);
    this.pages.set(index, page);
    while (this.pages.size > this.maxPages) this.pages.delete(this.pages.keys().next().value as number);
  }

  /** Forgets pages with index >= `fromIndex` (the tail page grew) and ignores their loads in flight. */
  invalidateFrom(fromIndex: number): void {
    for (const k of [...this.pages.keys()]) if (k >= fromIndex) this.pages.delete(k);
    for (const k of [...this.loading.keys()]) if (k >= fromIndex) this.loading.delete(k);
  }

  clear(): void {
    this.gen++;
    this.pages.clear();
    this.loading.clear();
  }
}
