// Small helpers over tree-sitter nodes shared by the rules and the address extractor.
import type { Node } from 'web-tree-sitter';

export interface Range {
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
}

export function rangeOf(n: Node): Range {
  return { startLine: n.startPosition.row, startCharacter: n.startPosition.column, endLine: n.endPosition.row, endCharacter: n.endPosition.column };
}

export function named(n: Node | null | undefined): Node[] {
  if (!n) return [];
  return n.namedChildren.filter((c): c is Node => c !== null);
}

export function descendants(n: Node, types: string | string[]): Node[] {
  return n.descendantsOfType(types).filter((c): c is Node => c !== null);
}

export function ancestors(n: Node): Node[] {
  const out: Node[] = [];
  for (let p = n.parent; p; p = p.parent) out.push(p);
  return out;
}

/** Whether `inner` lies inside `outer` (or is it). */
export function contains(outer: Node, inner: Node): boolean {
  return inner.startIndex >= outer.startIndex && inner.endIndex <= outer.endIndex;
}

/** Undoes the common escapes of a string literal's body; good enough for host names and format strings. */
export function unescapeBody(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|[nrt0\\'"])/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t', '0': '\0' } as Record<string, string>)[e] ?? e;
  });
}

/** Identifiers mentioned anywhere under a node. */
export function identifiersIn(n: Node): Set<string> {
  const out = new Set<string>();
  if (n.type === 'identifier') out.add(n.text);
  for (const id of descendants(n, 'identifier')) out.add(id.text);
  return out;
}

/**
 * The nodes of chosen types, collected in one cursor walk and kept in source order. Asking the wasm tree
 * for descendants again and again is what makes analysis slow; range queries here are plain JS.
 */
export class NodeIndex {
  private readonly byType = new Map<string, Node[]>();
  private readonly merged = new Map<string, Node[]>();
  // Node.endIndex crosses into wasm on every read; the index reads it once per node
  private readonly ends = new Map<number, number>();

  constructor(root: Node, types: Iterable<string>) {
    const want = [...new Set(types)];
    for (const t of want) this.byType.set(t, []);
    // one descendantsOfType call over the whole tree beats a JS-driven cursor walk by far
    for (const n of root.descendantsOfType(want)) if (n) this.byType.get(n.type)?.push(n);
  }

  endOf(n: Node): number {
    let e = this.ends.get(n.id);
    if (e === undefined) this.ends.set(n.id, (e = n.endIndex));
    return e;
  }

  /** Whether `inner` lies inside `outer` (or is it). */
  contains(outer: Node, inner: Node): boolean {
    return inner.startIndex >= outer.startIndex && this.endOf(inner) <= this.endOf(outer);
  }

  /** Every node of these types, in source order. */
  all(types: string | string[]): Node[] {
    if (typeof types === 'string') return this.byType.get(types) ?? [];
    const key = types.join('|');
    let merged = this.merged.get(key);
    if (!merged) {
      merged = types.flatMap((t) => this.byType.get(t) ?? []).sort((a, b) => a.startIndex - b.startIndex || this.endOf(b) - this.endOf(a));
      this.merged.set(key, merged);
    }
    return merged;
  }

  /** Nodes of these types inside `n` (including `n` itself), in source order. */
  under(n: Node, types: string | string[]): Node[] {
    const list = this.all(types);
    const end = this.endOf(n);
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].startIndex < n.startIndex) lo = mid + 1;
      else hi = mid;
    }
    const out: Node[] = [];
    for (let i = lo; i < list.length && list[i].startIndex < end; i++) if (this.endOf(list[i]) <= end) out.push(list[i]);
    return out;
  }

  /** Every node of these types that contains `n` (not `n` itself), outermost first. */
  enclosingAll(n: Node, types: string | string[]): Node[] {
    const end = this.endOf(n);
    const out: Node[] = [];
    for (const c of this.all(types)) {
      if (c.startIndex > n.startIndex) break;
      if (c.id !== n.id && this.endOf(c) >= end) out.push(c);
    }
    return out;
  }

  /** The innermost node of these types that contains `n` (not `n` itself). */
  enclosing(n: Node, types: string | string[]): Node | undefined {
    const end = this.endOf(n);
    let best: Node | undefined;
    for (const c of this.all(types)) {
      if (c.startIndex > n.startIndex) break;
      if (c.id !== n.id && this.endOf(c) >= end) best = c;
    }
    return best;
  }
}
