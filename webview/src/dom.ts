// Tiny DOM helpers. Text always goes in through textContent: payload bytes never become HTML.

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A vscode-elements component (custom element) with a class and attributes. */
export function vsc<T extends HTMLElement = HTMLElement>(tag: string, attrs: Record<string, string> = {}, text?: string): T {
  const e = document.createElement(tag) as T;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

export interface SelectLike extends HTMLElement {
  value: string;
}

/** A vscode-single-select; the initial value is marked with `selected` so it holds before the element renders. */
export function singleSelect(options: readonly { value: string; label: string }[], value: string, ariaLabel: string): SelectLike {
  const s = vsc<SelectLike>('vscode-single-select', { 'aria-label': ariaLabel, title: ariaLabel });
  for (const o of options) {
    const opt = vsc('vscode-option', { value: o.value }, o.label);
    if (o.value === value) opt.setAttribute('selected', '');
    s.append(opt);
  }
  // The list opens below by default and would run off the bottom of a short webview (the send bar's
  // selects): just before it opens, put it on the side with room for all the options.
  const place = () => {
    const r = s.getBoundingClientRect();
    const need = Math.min(options.length, 10) * 22 + 8; // vscode-elements: 22 px an option, 10 shown at most
    const below = document.documentElement.clientHeight - r.bottom;
    s.setAttribute('position', below < need && r.top > below ? 'above' : 'below');
  };
  s.addEventListener('pointerdown', place, true);
  s.addEventListener('keydown', place, true);
  return s;
}

export interface TextFieldLike extends HTMLElement {
  value: string;
  invalid: boolean;
}

export function textField(attrs: Record<string, string>): TextFieldLike {
  return vsc<TextFieldLike>('vscode-textfield', attrs);
}

export function button(label: string, attrs: Record<string, string> = {}): HTMLElement {
  return vsc('vscode-button', attrs, label);
}
