// The data inspector's table: label | little endian | big endian. Values are set with textContent.
import type { InspectorRow } from './inspector';

export class InspectorView {
  readonly element: HTMLTableElement;
  private readonly body: HTMLTableSectionElement;

  constructor(parent: HTMLElement, headings: { type: string; le: string; be: string }) {
    this.element = document.createElement('table');
    this.element.className = 'hex-inspector';
    const head = this.element.createTHead().insertRow();
    for (const h of [headings.type, headings.le, headings.be]) {
      const th = document.createElement('th');
      th.textContent = h;
      head.append(th);
    }
    this.body = this.element.createTBody();
    parent.append(this.element);
  }

  show(rows: readonly InspectorRow[]): void {
    this.body.textContent = '';
    for (const r of rows) {
      const tr = this.body.insertRow();
      tr.dataset.id = r.id;
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = r.label;
      tr.append(th);
      const le = tr.insertCell();
      le.textContent = r.le;
      const be = tr.insertCell();
      be.textContent = r.be;
      if (!r.be) le.colSpan = 2;
      if (!r.be) be.remove();
    }
  }
}
