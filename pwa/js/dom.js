// Tiny DOM helpers: auto-escaping tagged templates and event delegation. No framework.

/** Trusted markup produced by `html` (or wrapped with `raw`); never escaped again. */
export class Markup {
  /** @param {string} text */
  constructor(text) { this.text = text; }
  toString() { return this.text; }
}

/** @param {string} text trusted HTML */
export const raw = (text) => new Markup(text);

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** @param {unknown} value */
export function escape(value) {
  return String(value).replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

/** @param {unknown} value */
function part(value) {
  if (value == null || value === false) return '';
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(part).join('');
  return escape(value);
}

/**
 * html`<p>${userText}</p>` → Markup with every interpolation escaped (arrays are joined,
 * null/false render nothing, nested html`` stays markup).
 * @param {TemplateStringsArray} strings
 * @param {...unknown} values
 */
export function html(strings, ...values) {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1];
  return new Markup(out);
}

/**
 * Replace `el`'s content — unless it would be the same markup as last time, so a refresh
 * with unchanged data keeps focus, scroll and anything mid-drag.
 * @param {Element} el @param {Markup|string} markup
 */
export function render(el, markup) {
  const text = markup instanceof Markup ? markup.text : escape(markup);
  if (/** @type {any} */ (el)._rendered === text && el.innerHTML) return;
  /** @type {any} */ (el)._rendered = text;
  el.innerHTML = text;
}

/** @returns {HTMLElement|null} */
export const $ = (sel, root = document) => root.querySelector(sel);
/** @returns {HTMLElement[]} */
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/**
 * Delegated listener: `on(root, 'click', '[data-action=save]', (event, el) => …)`.
 * @param {Element|Document} root
 * @param {string} type
 * @param {string} selector
 * @param {(event: Event, el: HTMLElement) => void} handler
 * @returns {() => void} removes the listener
 */
export function on(root, type, selector, handler) {
  const listener = (event) => {
    const el = /** @type {Element} */ (event.target).closest?.(selector);
    if (el && root.contains(el)) handler(event, /** @type {HTMLElement} */ (el));
  };
  root.addEventListener(type, listener);
  return () => root.removeEventListener(type, listener);
}

/** Form fields as a plain object (checkboxes → booleans). @param {HTMLFormElement} form */
export function formValues(form) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const el of form.elements) {
    const input = /** @type {HTMLInputElement} */ (el);
    if (!input.name || input.disabled) continue;
    if (input.type === 'checkbox') out[input.name] = input.checked;
    else if (input.type === 'radio') { if (input.checked) out[input.name] = input.value; }
    else out[input.name] = input.value;
  }
  return out;
}

/** A short polite announcement for screen readers and sighted users alike. */
export function toast(message, kind = 'info') {
  const box = $('#toast');
  if (!box) return;
  const item = document.createElement('div');
  item.className = `toast ${kind}`;
  item.textContent = message;
  box.append(item);
  setTimeout(() => item.remove(), 5000);
}

/** Debounce: run `fn` once calls stop for `ms`. */
export function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
