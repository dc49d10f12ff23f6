// The packet details tree (layers, fields, sub-fields): an ARIA tree with a roving focus, driven by the
// keyboard like VS Code's own trees (arrows, Home/End, Enter), each layer badged frame/packet/segment….
import { Emitter } from '../../../src/shared/disposable';
import type { ExpertSeverity, WireLayer } from '../../../src/shared/packetPanelProtocol';
import type { LayerRole } from '../../../src/shared/types';
import { ancestorPaths, flattenLayers, visibleNodes, type FieldNode } from './fieldLookup';
import { h } from '../dom';
import { t } from '../strings';

/** A layer's role badge in the user's words (frame, packet, segment, datagram, message). */
function roleWords(role: LayerRole): string {
  return { frame: t('frame'), packet: t('packet'), segment: t('segment'), datagram: t('datagram'), message: t('message') }[role];
}

/** Expert info severity in the user's words (the icon's name for screen readers and its tooltip). */
function severityWords(s: ExpertSeverity): string {
  return { chat: t('Expert info: chat'), note: t('Expert info: note'), warning: t('Expert info: warning'), error: t('Expert info: error') }[s];
}

/** A severity icon: its own line's, or (outlined) the worst one inside a closed subtree. */
function severityIcon(s: ExpertSeverity, inside: boolean): HTMLElement {
  const icon = h('span', `pk-sev pk-sev-${s}${inside ? ' pk-sev-inside' : ''}`, s === 'warning' || s === 'error' ? '!' : 'i');
  const words = inside ? t('Contains: {0}', severityWords(s)) : severityWords(s);
  icon.title = words;
  icon.setAttribute('role', 'img');
  icon.setAttribute('aria-label', words);
  return icon;
}

export class FieldTree {
  readonly element: HTMLElement;
  private nodes: FieldNode[] = [];
  private roles = new Map<string, { role: LayerRole; truncated: boolean }>();
  private readonly expanded = new Set<string>();
  private selected: string | undefined;
  private readonly _onDidSelect = new Emitter<FieldNode | undefined>();
  /** The user (or selectNode) picked a node; its byte range should be highlighted. */
  readonly onDidSelect = this._onDidSelect.event;

  constructor(parent: HTMLElement) {
    this.element = h('div', 'pk-tree');
    this.element.setAttribute('role', 'tree');
    this.element.setAttribute('aria-label', t('Packet details'));
    parent.append(this.element);
    this.element.addEventListener('click', (e) => {
      const item = (e.target as HTMLElement).closest<HTMLElement>('[role=treeitem]');
      if (!item?.dataset.path) return;
      const path = item.dataset.path;
      if ((e.target as HTMLElement).classList.contains('pk-twisty')) this.toggle(path);
      this.selectPath(path, true);
    });
    this.element.addEventListener('keydown', (e) => this.onKey(e));
  }

  /** Shows another packet; layers that were open stay open (by layer name), like Wireshark. */
  show(layers: readonly WireLayer[], placeholder: string): void {
    const openNames = new Set(this.nodes.filter((n) => n.isLayer && this.expanded.has(n.path)).map((n) => n.id));
    const selectedId = this.selected ? this.nodes.find((n) => n.path === this.selected)?.id : undefined;
    this.nodes = flattenLayers(layers);
    this.roles = new Map(layers.map((l, i) => [String(i), { role: l.role, truncated: !!l.truncated }]));
    this.expanded.clear();
    for (const n of this.nodes) if (n.isLayer && openNames.has(n.id)) this.expanded.add(n.path);
    this.selected = undefined;
    if (this.nodes.length === 0) {
      this.element.textContent = '';
      const p = h('div', 'pk-placeholder');
      p.textContent = placeholder;
      this.element.append(p);
      return;
    }
    const again = selectedId ? this.nodes.find((n) => n.id === selectedId) : undefined;
    if (again) this.selectPath(again.path, false);
    else this.render();
  }

  get selectedNode(): FieldNode | undefined {
    return this.nodes.find((n) => n.path === this.selected);
  }

  /** Selects a node (expanding its ancestors) and scrolls it into view; fires onDidSelect. */
  selectNode(node: FieldNode, focus = false): void {
    this.selectPath(node.path, focus);
  }

  get allNodes(): readonly FieldNode[] {
    return this.nodes;
  }

  private selectPath(path: string, focus: boolean): void {
    for (const a of ancestorPaths(path)) this.expanded.add(a);
    this.selected = path;
    this.render();
    const item = this.itemFor(path);
    item?.scrollIntoView({ block: 'nearest' });
    if (focus) item?.focus();
    this._onDidSelect.fire(this.selectedNode);
  }

  private toggle(path: string): void {
    if (this.expanded.has(path)) this.expanded.delete(path);
    else this.expanded.add(path);
  }

  private itemFor(path: string): HTMLElement | null {
    return this.element.querySelector<HTMLElement>(`[data-path="${CSS.escape(path)}"]`);
  }

  private render(): void {
    const hadFocus = this.element.contains(document.activeElement);
    this.element.textContent = '';
    const visible = visibleNodes(this.nodes, this.expanded);
    const focusPath = this.selected && visible.some((n) => n.path === this.selected) ? this.selected : visible[0]?.path;
    for (const n of visible) {
      const item = h('div', n.isLayer ? 'pk-item pk-layer' : 'pk-item');
      item.setAttribute('role', 'treeitem');
      item.setAttribute('aria-level', String(n.depth + 1));
      item.setAttribute('aria-selected', String(n.path === this.selected));
      if (n.hasChildren) item.setAttribute('aria-expanded', String(this.expanded.has(n.path)));
      item.dataset.path = n.path;
      item.dataset.field = n.id;
      item.tabIndex = n.path === focusPath ? 0 : -1;
      item.style.paddingLeft = `${6 + n.depth * 16}px`;
      const tw = h('span', 'pk-twisty');
      if (n.hasChildren) tw.classList.add(this.expanded.has(n.path) ? 'open' : 'closed');
      item.append(tw);
      if (n.severity) {
        item.dataset.severity = n.severity;
        item.append(severityIcon(n.severity, false));
      } else if (n.within && !this.expanded.has(n.path)) item.append(severityIcon(n.within, true));
      if (n.isLayer) {
        const info = this.roles.get(n.path);
        if (info) {
          const badge = h('span', `pk-role pk-role-${info.role}`);
          badge.textContent = roleWords(info.role);
          item.append(badge);
        }
        const title = h('span', 'pk-label');
        title.textContent = n.label;
        item.append(title);
        if (info?.truncated) {
          item.append(h('span', 'pk-trunc', `[${t('truncated')}]`));
        }
      } else {
        const label = h('span', 'pk-label');
        label.textContent = n.label;
        item.append(label);
      }
      this.element.append(item);
    }
    if (hadFocus && focusPath) this.itemFor(focusPath)?.focus();
  }

  private onKey(e: KeyboardEvent): void {
    const visible = visibleNodes(this.nodes, this.expanded);
    if (visible.length === 0) return;
    const at = Math.max(0, visible.findIndex((n) => n.path === this.selected));
    const cur = visible[at];
    let target: FieldNode | undefined;
    switch (e.key) {
      case 'ArrowDown': target = visible[Math.min(visible.length - 1, at + 1)]; break;
      case 'ArrowUp': target = visible[Math.max(0, at - 1)]; break;
      case 'Home': target = visible[0]; break;
      case 'End': target = visible[visible.length - 1]; break;
      case 'ArrowRight':
        if (cur.hasChildren && !this.expanded.has(cur.path)) { this.expanded.add(cur.path); target = cur; }
        else if (cur.hasChildren) target = visible[at + 1];
        break;
      case 'ArrowLeft':
        if (cur.hasChildren && this.expanded.has(cur.path)) { this.expanded.delete(cur.path); target = cur; }
        else if (cur.parent !== undefined) target = this.nodes.find((n) => n.path === cur.parent);
        break;
      case 'Enter':
      case ' ':
        if (cur.hasChildren) this.toggle(cur.path);
        target = cur;
        break;
      default:
        return;
    }
    e.preventDefault();
    if (target) this.selectPath(target.path, true);
  }
}
