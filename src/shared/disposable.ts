// A minimal Disposable base shared by core objects: dispose() is safe to call twice.
export interface DisposableLike { dispose(): unknown }

export class Disposable implements DisposableLike {
  private readonly owned: DisposableLike[] = [];
  private _disposed = false;

  get isDisposed(): boolean {
    return this._disposed;
  }

  protected own<T extends DisposableLike>(d: T): T {
    if (this._disposed) d.dispose();
    else this.owned.push(d);
    return d;
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    for (const d of this.owned.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // one failing disposal must not keep the rest alive
      }
    }
  }
}

/** A tiny typed event emitter without Node built-ins, usable from core and shared code. */
export class Emitter<T> {
  private listeners = new Set<(e: T) => void>();
  readonly event = (listener: (e: T) => void): DisposableLike => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}
