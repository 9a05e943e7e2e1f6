// Create / edit a customer: the server's rules checked as you go (validate.js), duplicate
// warnings while typing (the server's duplicate check when online, this device's data always).

import { $, $$, html, render, on, formValues, debounce, toast } from '../dom.js';
import { t, lang, errorText } from '../i18n.js';
import { getRecord, allOf, searchKey } from '../store.js';
import { validateCustomer, checkField, formatPhone, normalizePhone, normalizeEmail } from '../validate.js';
import { KINDS, GRADES, LIFECYCLES, SIZES, INDUSTRIES, REGIONS } from '../refdata.js';
import { saveChange, discardEntry } from '../outbox.js';
import { changed, guardedSave } from '../sync.js';
import { api } from '../api.js';
import { get } from '../db.js';
import { session } from '../session.js';
import { navigate } from '../main.js';

const FIELDS = ['kind', 'name', 'phone', 'email', 'region', 'address', 'industry', 'size', 'grade', 'lifecycle', 'source', 'tags', 'notes'];
const REQUIRED = new Set(['name']);

/** @param {HTMLElement} main @param {string[]} params @param {URLSearchParams} query */
export default async function customerForm(main, [id], query) {
  const existing = id ? await getRecord('customer', id) : null;
  if (id && !existing) {
    render(main, html`<p class="notice warn">${t('customer.not_found')}</p>`);
    return;
  }
  const retrySeq = Number(query.get('retry')) || null;
  const retry = retrySeq ? await get('outbox', retrySeq) : null;
  const values = { kind: 'company', grade: 'C', lifecycle: 'lead', ...(existing?.values || {}) };
  for (const [name, op] of Object.entries(retry?.fields || {})) {
    if (op.op === 'set') values[name] = op.value;
  }
  const recordId = id || crypto.randomUUID();
  const l = lang();
  const field = (name, control, hint = '') => html`<div class="field" data-field="${name}">
    <label for="f-${name}">${t(`field.${name}`)}${REQUIRED.has(name) ? html`<span class="req" aria-hidden="true">*</span><span class="sr-only">(${t('field.required_mark')})</span>` : ''}</label>
    ${control}
    ${hint ? html`<span class="hint" id="hint-${name}">${hint}</span>` : ''}
    <span class="msg" id="err-${name}" aria-live="polite"></span></div>`;
  const select = (name, options, labelOf, allowEmpty = false) => html`<select id="f-${name}" name="${name}" aria-describedby="err-${name}">
    ${allowEmpty ? html`<option value="">—</option>` : ''}
    ${options.map((o) => html`<option value="${o}" ${values[name] === o ? 'selected' : ''}>${labelOf(o)}</option>`)}</select>`;

  render(main, html`
    <a href="${id ? `#/customers/${id}` : '#/customers'}" class="small">← ${t('common.back')}</a>
    <h1>${id ? t('customer.edit_title') : t('customer.create_title')}</h1>
    <form id="customer-form" novalidate>
      <p class="notice error" id="form-error" role="alert" hidden></p>
      <div class="grid2">
        ${field('name', html`<input id="f-name" name="name" required maxlength="200" autocomplete="organization" value="${values.name || ''}" aria-describedby="err-name">`)}
        ${field('kind', select('kind', KINDS, (k) => t(`kind.${k}`)))}
        ${field('phone', html`<input id="f-phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" value="${values.phone ? formatPhone(values.phone) : ''}" aria-describedby="err-phone">`)}
        ${field('email', html`<input id="f-email" name="email" type="email" inputmode="email" autocomplete="email" value="${values.email || ''}" aria-describedby="err-email">`)}
        ${field('region', html`<input id="f-region" name="region" list="region-list" value="${values.region ? regionLabel(values.region, l) : ''}" aria-describedby="err-region">
          <datalist id="region-list">${REGIONS.map(([code, zh, en]) => html`<option value="${l === 'en' ? en : zh}">${code}</option>`)}</datalist>`)}
        ${field('address', html`<input id="f-address" name="address" maxlength="500" autocomplete="street-address" value="${values.address || ''}" aria-describedby="err-address">`)}
        ${field('industry', select('industry', INDUSTRIES.map((r) => r[0]), (c) => { const r = INDUSTRIES.find((x) => x[0] === c); return l === 'en' ? r[1] : r[2]; }, true))}
        ${field('size', select('size', SIZES, (s) => s, true))}
        ${field('grade', select('grade', GRADES, (g) => t(`grade.${g}`)))}
        ${field('lifecycle', select('lifecycle', LIFECYCLES, (s) => t(`lifecycle.${s}`)))}
        ${field('source', html`<input id="f-source" name="source" maxlength="32" value="${values.source || ''}" aria-describedby="err-source">`)}
        ${field('tags', html`<input id="f-tags" name="tags" value="${(values.tags || []).join(', ')}" aria-describedby="hint-tags err-tags">`, t('field.tags_hint'))}
      </div>
      ${field('notes', html`<textarea id="f-notes" name="notes" maxlength="5000" aria-describedby="err-notes">${values.notes || ''}</textarea>`)}
      <section id="duplicates" class="notice warn" aria-live="polite" hidden></section>
      <div class="actions">
        <button class="btn primary" type="submit">${t('common.save')}</button>
        <a class="btn" href="${id ? `#/customers/${id}` : '#/customers'}">${t('common.cancel')}</a>
      </div>
    </form>`);

  const form = /** @type {HTMLFormElement} */ ($('#customer-form', main));
  if (retry?.error?.errors) showErrors(form, Object.fromEntries(retry.error.errors.map((e) => [e.field, { code: e.code, message: e.message }])));

  const checkDuplicates = debounce(() => duplicates(form, recordId), 400);
  const offs = [
    on(form, 'focusout', 'input, select, textarea', (e, el) => {
      const input = /** @type {HTMLInputElement} */ (el);
      if (!input.name) return;
      const problem = input.value ? checkField(input.name, input.value) : null;
      setError(form, input.name, problem);
    }),
    on(form, 'input', '#f-name, #f-phone, #f-email', (e, el) => {
      const input = /** @type {HTMLInputElement} */ (el);
      if (input.getAttribute('aria-invalid') === 'true' && !checkField(input.name, input.value)) setError(form, input.name, null);
      checkDuplicates();
    }),
  ];

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const raw = formValues(form);
    const incoming = Object.fromEntries(FIELDS.filter((f) => f in raw).map((f) => [f, raw[f]]));
    const { values: clean, errors } = validateCustomer(incoming, existing ? existing.values : null);
    clearErrors(form);
    if (Object.keys(errors).length) {
      showErrors(form, errors);
      return;
    }
    const next = Object.fromEntries(Object.entries(clean).map(([k, v]) => [k, v ?? null]));
    const saved = await guardedSave(async () => {
      if (retrySeq) await discardEntry(retrySeq);
      await saveChange('customer', recordId, next, { owner: { id: session.user.id, name: session.user.display_name } });
    });
    if (!saved) return;
    await changed();
    toast(navigator.onLine ? t('common.saved') : t('common.saved_offline'));
    navigate(`#/customers/${recordId}`);
  });
  checkDuplicates();
  return { dispose: () => offs.forEach((off) => off()) };
}

function regionLabel(code, l) {
  const row = REGIONS.find((r) => r[0] === code);
  return row ? (l === 'en' ? row[2] : row[1]) : code;
}

/** @param {HTMLFormElement} form */
function setError(form, name, problem) {
  const input = /** @type {HTMLElement|null} */ (form.querySelector(`[name="${name}"]`));
  const msg = form.querySelector(`#err-${CSS.escape(name)}`);
  if (!msg) return;
  msg.textContent = problem ? errorText(problem.code, problem.params || {}, problem.message) : '';
  if (input) input.setAttribute('aria-invalid', problem ? 'true' : 'false');
}

function clearErrors(form) {
  for (const msg of $$('.msg', form)) msg.textContent = '';
  for (const el of $$('[aria-invalid]', form)) el.setAttribute('aria-invalid', 'false');
  /** @type {HTMLElement} */ ($('#form-error', form)).hidden = true;
}

/** Show field errors; focus the first bad field. */
function showErrors(form, errors) {
  let first = null;
  for (const [name, problem] of Object.entries(errors)) {
    setError(form, name, problem);
    first = first || form.querySelector(`[name="${name}"]`);
  }
  const banner = /** @type {HTMLElement} */ ($('#form-error', form));
  banner.textContent = t('error.form');
  banner.hidden = false;
  /** @type {HTMLElement|null} */ (first)?.focus();
}

let duplicateRequest = 0;

/** Likely duplicates: exact phone/email or similar name on this device, plus the server's check. */
async function duplicates(form, selfId) {
  const { name = '', phone = '', email = '' } = formValues(form);
  const box = /** @type {HTMLElement} */ ($('#duplicates', form));
  const ticket = ++duplicateRequest;
  let e164 = '';
  let mail = '';
  try { e164 = phone ? normalizePhone(phone) : ''; } catch { /* not a number yet */ }
  try { mail = email ? normalizeEmail(email) : ''; } catch { /* not an address yet */ }
  const key = searchKey(name);
  /** @type {Map<string, {id: string, name: string, owner: string, reason: string}>} */
  const found = new Map();
  if (key.length >= 2 || e164 || mail) {
    for (const c of await allOf('customer')) {
      if (c.id === selfId) continue;
      const v = c.values;
      const reason = e164 && v.phone === e164 ? 'phone' : mail && v.email === mail ? 'email'
        : key.length >= 2 && searchKey(v.name || '') === key ? 'name' : '';
      if (reason) found.set(c.id, { id: c.id, name: v.name, owner: c.owner_name || '', reason });
    }
  }
  if (navigator.onLine && (key.length >= 2 || e164 || mail)) {
    try {
      const data = await api('/api/customers/duplicates', { query: { name, phone: e164 || undefined, email: mail || undefined, exclude_id: selfId } });
      const items = Array.isArray(data) ? data : data?.duplicates || data?.items || [];
      for (const item of items) {
        const c = item.customer || item;
        if (!c?.name || (c.id && c.id === selfId)) continue;
        // Another rep's record (撞单) comes without an id: show its name and owner only.
        found.set(c.id || `hidden:${c.name}`, { id: c.id, name: c.name, owner: c.owner_name || item.owner_name || '', reason: (item.reasons || item.fields || []).join?.(', ') || '' });
      }
    } catch { /* not available: the local check stands */ }
  }
  if (ticket !== duplicateRequest) return;
  box.hidden = found.size === 0;
  render(box, html`<h2>${t('customer.duplicates')}</h2><ul>${[...found.values()].slice(0, 5).map((d) => html`<li>
    <strong>${d.name}</strong> ${d.owner ? html`<span class="muted">(${t('customer.duplicate_owner', { owner: d.owner })})</span>` : ''}
    ${d.reason ? html`<span class="muted small">· ${d.reason.split(', ').map((r) => t(`field.${r}`)).join(', ')}</span>` : ''}
    ${d.id ? html`<a href="#/customers/${d.id}">${t('customer.open')}</a>` : ''}</li>`)}</ul>`);
}
