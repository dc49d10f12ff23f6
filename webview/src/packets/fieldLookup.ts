// Pure lookups between the field tree and byte offsets: flatten a dissection into tree nodes,
// and find the most specific field covering a byte (click a byte → select its field).
import type { ExpertSeverity, WireField, WireLayer } from '../../../src/shared/packetPanelProtocol';

export interface FieldNode {
  /** Stable path id ("2/0/3"): layer index, then child indexes. */
  readonly path: string;
  /** Display-filter name: the layer name for a layer row, else the field id. */
  readonly id: string;
  readonly label: string;
  readonly offset: number;
  readonly length: number;
  readonly depth: number;
  readonly parent?: string;
  readonly hasChildren: boolean;
  readonly isLayer: boolean;
  /** An expert info line's own severity. */
  readonly severity?: ExpertSeverity;
  /** The worst severity among its descendants (marks a closed layer or subtree that holds expert info). */
  readonly within?: ExpertSeverity;
  /** Index of the packet's data source its bytes are in (decrypted TLS); absent: the frame's bytes. */
  readonly source?: number;
}

const RANK: Record<ExpertSeverity, number> = { chat: 1, note: 2, warning: 3, error: 4 };

/** The worse of two severities. */
export function worse(a: ExpertSeverity | undefined, b: ExpertSeverity | undefined): ExpertSeverity | undefined {
  if (!a) return b;
  return b && RANK[b] > RANK[a] ? b : a;
}

function worstIn(fields: readonly WireField[]): ExpertSeverity | undefined {
  let w: ExpertSeverity | undefined;
  for (const f of fields) w = worse(worse(w, f.severity), worstIn(f.children ?? []));
  return w;
}

/** Every layer and field, depth first, in display order. */
export function flattenLayers(layers: readonly WireLayer[]): FieldNode[] {
  const out: FieldNode[] = [];
  const walk = (fields: readonly WireField[], parent: string, depth: number) => {
    fields.forEach((f, i) => {
      const path = `${parent}/${i}`;
      const kids = f.children ?? [];
      // The decoder's convention: a tree line reads `${label}: ${display}`; an expert info line is its display alone.
      const label = f.severity ? f.display : f.display ? `${f.label}: ${f.display}` : f.label;
      const within = worstIn(kids);
      out.push({ path, id: f.id, label, offset: f.offset, length: f.length, depth, parent, hasChildren: kids.length > 0, isLayer: false, ...(f.severity ? { severity: f.severity } : {}), ...(within ? { within } : {}), ...(f.source !== undefined ? { source: f.source } : {}) });
      walk(kids, path, depth + 1);
    });
  };
  layers.forEach((l, i) => {
    const path = String(i);
    const within = worstIn(l.fields);
    out.push({ path, id: l.name, label: l.title, offset: l.offset, length: l.length, depth: 0, hasChildren: l.fields.length > 0, isLayer: true, ...(within ? { within } : {}), ...(l.source !== undefined ? { source: l.source } : {}) });
    walk(l.fields, path, 1);
  });
  return out;
}

/**
 * The node whose bytes cover `offset` of data source `source` (undefined: the frame), preferring the narrowest
 * range, then the deepest node; zero-length fields never match. Returns undefined when no layer covers the byte.
 */
export function nodeAtOffset(nodes: readonly FieldNode[], offset: number, source?: number): FieldNode | undefined {
  let best: FieldNode | undefined;
  for (const n of nodes) {
    if (n.source !== source || n.length <= 0 || offset < n.offset || offset >= n.offset + n.length) continue;
    if (!best || n.length < best.length || (n.length === best.length && n.depth > best.depth)) best = n;
  }
  return best;
}

/** First node with this display-filter id (e.g. "tcp.flags"). */
export function nodeById(nodes: readonly FieldNode[], id: string): FieldNode | undefined {
  return nodes.find((n) => n.id === id);
}

/** Paths of all ancestors of `path` ("2/0/3" → ["2", "2/0"]), to expand them before revealing it. */
export function ancestorPaths(path: string): string[] {
  const parts = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

/** Nodes shown when only the paths in `expanded` are open. */
export function visibleNodes(nodes: readonly FieldNode[], expanded: ReadonlySet<string>): FieldNode[] {
  return nodes.filter((n) => ancestorPaths(n.path).every((p) => expanded.has(p)));
}
