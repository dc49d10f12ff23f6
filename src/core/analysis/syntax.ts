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

export function sameNode(a: Node, b: Node): boolean {
  return a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type;
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
