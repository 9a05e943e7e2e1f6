// My customers (rep) / team customers (manager): local search and filters, newest data from sync.

import { $, html, render, on, debounce, toast } from '../dom.js';
import { apiBlob, isNetworkError } from '../api.js';
import { saveBlob } from '../charts.js';
import { t, lang, fmtRelative } from '../i18n.js';
import { findCustomers, lastContacts, ownersOf, allOf } from '../store.js';
import { formatPhone, regionName } from '../validate.js';
import { GRADES, LIFECYCLES } from '../refdata.js';
import { isManager } from '../session.js';

const PAGE = 100;
/** Filters survive navigating to a customer and back. */
const state = { q: '', grade: '', lifecycle: '', owner: '', limit: PAGE };

/** @param {HTMLElement} main */
export default async function customers(main) {
  const manager = isManager();
  const owners = manager ? await ownersOf(await allOf('customer')) : [];
  render(main, html`
    <div class="spread"><h1>${manager ? t('customers.team_title') : t('customers.title')}</h1>
      <div class="row">${manager ? html`<button class="btn" type="button" id="export">${t('analytics.export')}</button>` : ''}
      <a class="btn primary" href="#/customers/new">＋ ${t('customers.new')}</a></div></div>
    <form class="filters" role="search" id="filters" onsubmit="return false">
      <div class="search"><label class="sr-only" for="q">${t('common.search')}</label>
        <input id="q" name="q" type="search" placeholder="${t('customers.search')}" value="${state.q}" autocomplete="off"></div>
      <div><label class="sr-only" for="f-grade">${t('field.grade')}</label>
        <select id="f-grade" name="grade"><option value="">${t('field.grade')}: ${t('common.all')}</option>
        ${GRADES.map((g) => html`<option value="${g}" ${state.grade === g ? 'selected' : ''}>${t(`grade.${g}`)}</option>`)}</select></div>
      <div><label class="sr-only" for="f-stage">${t('field.lifecycle')}</label>
        <select id="f-stage" name="lifecycle"><option value="">${t('field.lifecycle')}: ${t('common.all')}</option>
        ${LIFECYCLES.map((s) => html`<option value="${s}" ${state.lifecycle === s ? 'selected' : ''}>${t(`lifecycle.${s}`)}</option>`)}</select></div>
      ${manager ? html`<div><label class="sr-only" for="f-owner">${t('customers.owner')}</label>
        <select id="f-owner" name="owner"><option value="">${t('customers.owner')}: ${t('common.all')}</option>
        ${owners.map((o) => html`<option value="${o.id}" ${String(state.owner) === String(o.id) ? 'selected' : ''}>${o.name}</option>`)}</select></div>` : ''}
    </form>
    <p class="muted small" id="count" aria-live="polite"></p>
    ${manager ? html`<div class="list-head" aria-hidden="true"><span>${t('field.name')}</span><span>${t('field.lifecycle')}</span>
      <span>${t('field.phone')}</span><span>${t('field.region')}</span><span>${t('customers.owner')}</span><span>${t('customers.last_contact')}</span></div>` : ''}
    <ul class="list ${manager ? 'table' : ''}" id="customer-list"></ul>
    <p><button class="btn" type="button" id="more" hidden>${t('common.more')}</button></p>`);

  const list = /** @type {HTMLElement} */ ($('#customer-list', main));
  const refresh = async () => {
    const found = await findCustomers(state);
    const contacts = await lastContacts();
    const shown = found.slice(0, state.limit);
    /** @type {HTMLElement} */ ($('#count', main)).textContent = t('common.count', { n: shown.length, total: found.length });
    /** @type {HTMLElement} */ ($('#more', main)).hidden = found.length <= state.limit;
    render(list, shown.length ? html`${shown.map((c) => row(c, contacts.get(c.id), manager))}`
      : html`<li><p class="item muted">${t('common.empty')}</p></li>`);
  };
  const update = debounce(() => { state.limit = PAGE; refresh(); }, 150);
  const offs = [
    on(main, 'input', '#q', (e, el) => { state.q = /** @type {HTMLInputElement} */ (el).value; update(); }),
    on(main, 'change', 'select', (e, el) => { state[/** @type {HTMLSelectElement} */ (el).name] = /** @type {HTMLSelectElement} */ (el).value; update(); }),
    on(main, 'click', '#more', () => { state.limit += PAGE; refresh(); }),
    on(main, 'click', '#export', async () => {
      // The server's export: permission-checked, audited, same filters.
      try {
        saveBlob('customers.csv', await apiBlob('/api/customers/export.csv', {
          ...(state.q ? { q: state.q } : {}), ...(state.grade ? { grade: state.grade } : {}),
          ...(state.lifecycle ? { stage: state.lifecycle } : {}), ...(state.owner ? { owner_id: state.owner } : {}),
        }));
      } catch (error) {
        toast(isNetworkError(error) ? t('common.online_only') : String(error?.message || error), 'error');
      }
    }),
  ];
  await refresh();
  return { refresh, dispose: () => offs.forEach((off) => off()) };
}

function row(c, lastContact, manager) {
  const v = c.values;
  return html`<li><a class="item" href="#/customers/${c.id}" data-id="${c.id}">
    <span class="title">${v.name || '—'} <span class="badge grade-${v.grade || 'C'}">${v.grade || 'C'}</span>
      ${c.pending ? html`<span class="badge pending" title="${t('customer.unsynced')}">⟳</span>` : ''}
      ${c.rejected ? html`<span class="badge rejected" title="${t('customer.rejected')}">!</span>` : ''}</span>
    <span class="meta">
      <span>${v.lifecycle ? t(`lifecycle.${v.lifecycle}`) : ''}</span>
      <span>${v.phone ? formatPhone(v.phone) : v.email || ''}</span>
      <span>${v.region ? regionName(v.region, lang()) : ''}</span>
      ${manager ? html`<span>${c.owner_name || ''}</span>` : ''}
      <span>${lastContact ? html`<span class="${manager ? 'sr-only' : ''}">${t('customers.last_contact')}: </span>${fmtRelative(lastContact)}` : ''}</span>
    </span></a></li>`;
}
