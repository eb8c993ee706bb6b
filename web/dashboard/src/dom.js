// A few DOM helpers: the dashboard has no framework.

// h builds an element: h('a', {href: '#/'}, 'text', child…). Attributes
// starting with "on" are listeners; null and false children are skipped.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// replace swaps the children of el.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
export const fmt = (n) => (n == null ? '—' : numberFormat.format(n));
export const signed = (n) => (n == null ? '' : (n > 0 ? '+' : '') + fmt(n));

// words turns an enum value into words: IN_PROGRESS → "in progress".
export const words = (s) => String(s).toLowerCase().replaceAll('_', ' ');

// marked renders a search snippet, whose only markup is <mark>…</mark>:
// everything else is text.
export function marked(snippet) {
  const out = [];
  const parts = snippet.split(/(<mark>|<\/mark>)/);
  let inMark = false;
  for (const p of parts) {
    if (p === '<mark>') inMark = true;
    else if (p === '</mark>') inMark = false;
    else if (p) out.push(inMark ? h('mark', {}, p) : p);
  }
  return out;
}
