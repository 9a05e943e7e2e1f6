// Pipeline board: deals by stage; drag a card (or focus it and press ←/→, or use its menu)
// to move it. Exit criteria are checked before the move and the server's 422 field errors
// are shown in the same dialog. Data: the board API when online, else synced deals.

import { $, html, render, on, toast } from '../dom.js';
import { t, lang, fmtMoney, fmtMoneyShort, fmtDate, fmtNumber } from '../i18n.js';
import { allOf, ownersOf } from '../store.js';
import { api } from '../api.js';
import { isManager } from '../session.js';
import { REGIONS } from '../refdata.js';
import { allStages, stageName, moveDeal, loadStages } from '../deals.js';

/**
 * @typedef {{id: string, title: string, amount: number, currency: string, stage: string,
 *   customer_id: string, customer_name: string, owner_id: number|null, owner_name: string,
 *   expected_close: string|null, values: Record<string, any>}} Card
 */

const filters = { owner: '', region: '', period: 'all' };
let boardApi = true;

/** @param {HTMLElement} main */
export default async function pipeline(main) {
  await loadStages();
  const manager = isManager();
  const owners = await ownersOf(await allOf('customer'));
  const provinces = REGIONS.filter((r) => r[0].split('-').length === 2);
  render(main, html`
    <div class="spread"><h1>${t('pipeline.title')}</h1><p class="muted small" id="board-source"></p></div>
    <form class="filters" onsubmit="return false" aria-label="${t('common.filters')}">
      ${manager ? html`<div><label class="sr-only" for="p-owner">${t('pipeline.rep')}</label>
        <select id="p-owner" name="owner"><option value="">${t('pipeline.rep')}: ${t('common.all')}</option>
        ${owners.map((o) => html`<option value="${o.id}" ${String(filters.owner) === String(o.id) ? 'selected' : ''}>${o.name}</option>`)}</select></div>` : ''}
      <div><label class="sr-only" for="p-region">${t('pipeline.region')}</label>
        <select id="p-region" name="region"><option value="">${t('pipeline.region')}: ${t('common.all')}</option>
        ${provinces.map(([code, zh, en]) => html`<option value="${code}" ${filters.region === code ? 'selected' : ''}>${lang() === 'en' ? en : zh}</option>`)}</select></div>
      <div><label class="sr-only" for="p-period">${t('pipeline.period')}</label>
        <select id="p-period" name="period">${['all', 'month', 'quarter'].map((p) => html`<option value="${p}" ${filters.period === p ? 'selected' : ''}>${t('pipeline.period')}: ${t(`pipeline.period.${p}`)}</option>`)}</select></div>
    </form>
    <p class="muted small" id="drag-hint">${t('pipeline.drag_hint')}</p>
    <div class="board" id="board" aria-describedby="drag-hint"></div>`);

  const board = /** @type {HTMLElement} */ ($('#board', main));
  /** @type {Card[]} */
  let cards = [];

  let disposed = false;
  const refresh = async () => {
    const loaded = await loadCards();
    if (disposed) return;
    cards = loaded;
    const stages = allStages();
    const visible = cards.filter((c) => inPeriod(c.expected_close, filters.period));
    render(board, html`${stages.map((s) => {
      const list = visible.filter((c) => c.stage === s.key);
      const sum = list.reduce((acc, c) => acc + (Number(c.amount) || 0), 0);
      return html`<section class="column" data-stage="${s.key}" aria-labelledby="col-${s.key}">
        <header><span id="col-${s.key}">${stageName(s.key)}</span>
          <span class="sum">${t('pipeline.deals', { n: fmtNumber(list.length) })} · ${fmtMoneyShort(sum)}</span></header>
        <ol>${list.map((c) => card(c))}</ol></section>`;
    })}`);
  };

  async function loadCards() {
    const source = /** @type {HTMLElement} */ ($('#board-source', main));
    if (navigator.onLine && boardApi) {
      try {
        const data = await api('/api/deals/board', { query: { owner_id: filters.owner, region: filters.region, per_stage: 200 } });
        const columns = Array.isArray(data) ? data : data?.columns || data?.stages || [];
        source.textContent = '';
        return columns.flatMap((col) => (col.deals || []).map(fromApi));
      } catch (error) {
        if (error?.status === 404 || error?.status === 405) boardApi = false;
      }
    }
    source.textContent = t('common.local');
    return localCards();
  }

  async function localCards() {
    const customers = new Map((await allOf('customer')).map((c) => [c.id, c]));
    return (await allOf('deal')).map((d) => {
      const c = customers.get(d.values.customer_id);
      return /** @type {Card} */ ({
        id: d.id, title: d.values.title, amount: d.values.amount, currency: d.values.currency || 'CNY',
        stage: d.values.stage || 'lead', customer_id: d.values.customer_id, customer_name: c?.values.name || '',
        owner_id: d.owner_id ?? c?.owner_id ?? null, owner_name: d.owner_name || c?.owner_name || '',
        expected_close: d.values.expected_close || null, values: d.values, region: c?.values.region || '',
      });
    }).filter((c) => (!filters.owner || String(c.owner_id) === String(filters.owner)) &&
      (!filters.region || String(c.region || '').startsWith(filters.region)));
  }

  const move = async (id, to) => {
    const c = cards.find((x) => x.id === id);
    if (!c || c.stage === to) return;
    const moved = await moveDeal({ id: c.id, values: { ...c.values, stage: c.stage } }, to);
    if (moved) toast(t('pipeline.moved', { stage: stageName(to) }));
    else {
      const menu = /** @type {HTMLSelectElement|null} */ (board.querySelector(`select[data-move="${CSS.escape(id)}"]`));
      if (menu) menu.value = c.stage;
    }
    await refresh();
    /** @type {HTMLElement|null} */ (board.querySelector(`[data-deal="${CSS.escape(id)}"]`))?.focus();
  };

  const offs = [
    on(main, 'change', '.filters select', (e, el) => { filters[/** @type {HTMLSelectElement} */ (el).name] = /** @type {HTMLSelectElement} */ (el).value; refresh(); }),
    on(board, 'dragstart', '.deal', (e, el) => {
      const event = /** @type {DragEvent} */ (e);
      event.dataTransfer?.setData('text/plain', el.dataset.deal || '');
      if (event.dataTransfer) event.dataTransfer.effectAllowed = 'move';
      el.setAttribute('aria-grabbed', 'true');
    }),
    on(board, 'dragend', '.deal', (e, el) => el.setAttribute('aria-grabbed', 'false')),
    on(board, 'dragover', '.column', (e, el) => { e.preventDefault(); el.classList.add('drop'); }),
    on(board, 'dragleave', '.column', (e, el) => el.classList.remove('drop')),
    on(board, 'drop', '.column', (e, el) => {
      e.preventDefault();
      el.classList.remove('drop');
      const id = /** @type {DragEvent} */ (e).dataTransfer?.getData('text/plain');
      if (id) move(id, el.dataset.stage || '');
    }),
    on(board, 'keydown', '.deal', (e, el) => {
      const key = /** @type {KeyboardEvent} */ (e).key;
      if (key !== 'ArrowRight' && key !== 'ArrowLeft') return;
      e.preventDefault();
      const stages = allStages();
      const index = stages.findIndex((s) => s.key === el.dataset.stage);
      const next = stages[index + (key === 'ArrowRight' ? 1 : -1)];
      if (next) move(el.dataset.deal || '', next.key);
    }),
    on(board, 'change', 'select[data-move]', (e, el) => move(el.dataset.move || '', /** @type {HTMLSelectElement} */ (el).value)),
  ];
  await refresh();
  return { refresh, dispose: () => { disposed = true; offs.forEach((off) => off()); } };
}

/** A board API deal → Card. */
function fromApi(d) {
  return /** @type {Card} */ ({
    id: String(d.id), title: d.title, amount: Number(d.amount) || 0, currency: d.currency || 'CNY',
    stage: d.stage, customer_id: String(d.customer_id ?? d.customer ?? ''), customer_name: d.customer_name || '',
    owner_id: d.owner_id ?? d.owner ?? null, owner_name: d.owner_name || '', expected_close: d.expected_close || null,
    values: {
      title: d.title, amount: d.amount, currency: d.currency, stage: d.stage, probability: d.probability,
      expected_close: d.expected_close, lost_reason: d.lost_reason, customer_id: String(d.customer_id ?? d.customer ?? ''),
    },
  });
}

/** @param {Card} c */
function card(c) {
  return html`<li class="deal" draggable="true" tabindex="0" data-deal="${c.id}" data-stage="${c.stage}"
      aria-label="${c.title} · ${c.customer_name} · ${stageName(c.stage)}">
    <div class="title"><a href="#/customers/${c.customer_id}" tabindex="-1">${c.title}</a></div>
    <div class="muted small">${c.customer_name}</div>
    <div class="spread small"><span class="amount" title="${fmtMoney(c.amount, c.currency)}">${fmtMoneyShort(c.amount, c.currency)}</span><span class="muted">${c.owner_name}</span></div>
    ${c.expected_close ? html`<div class="muted small" title="${t('field.expected_close')}"><span class="sr-only">${t('field.expected_close')}: </span>${fmtDate(c.expected_close)}</div>` : ''}
    <label class="sr-only" for="mv-${c.id}">${t('pipeline.move_to')}</label>
    <select id="mv-${c.id}" data-move="${c.id}" tabindex="-1">${allStages().map((s) => html`<option value="${s.key}" ${s.key === c.stage ? 'selected' : ''}>${t('pipeline.move_to')}: ${stageName(s.key)}</option>`)}</select>
  </li>`;
}

function inPeriod(date, period) {
  if (period === 'all') return true;
  if (!date) return false;
  const d = new Date(date);
  const now = new Date();
  if (period === 'month') return d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth();
  const q = (m) => Math.floor(m / 3);
  return d.getFullYear() === now.getFullYear() && q(d.getMonth()) === q(now.getMonth());
}
