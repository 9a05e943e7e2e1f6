// Deal stages and moves: the client-side mirror of the stage rules (server/domain/pipeline.py)
// and the dialog that asks for missing exit-criteria fields, plus the write (REST when the
// deals API is there and we are online, else the outbox).

import { html, render, formValues } from './dom.js';
import { t, lang, errorText } from './i18n.js';
import { STAGES } from './refdata.js';
import { api, ApiError, isNetworkError } from './api.js';
import { saveChange } from './outbox.js';
import { changed } from './sync.js';
import { getMeta, setMeta } from './db.js';

/** @typedef {{key: string, zh: string, en: string, days: number, probability: number, exit: string[], closed: boolean}} StageDef */

/** @type {StageDef[]} */
let stages = STAGES;

/** Stages as configured on the server (GET /api/pipeline/stages when it exists), cached. */
export async function loadStages() {
  const cached = await getMeta('stages');
  if (Array.isArray(cached) && cached.length) stages = cached;
  if (!navigator.onLine) return stages;
  try {
    const data = await api('/api/pipeline/stages');
    const list = (Array.isArray(data) ? data : data?.items || data?.stages || []).map((s) => ({
      key: s.key, zh: s.name_zh ?? s.zh, en: s.name_en ?? s.en, days: s.expected_days ?? s.days ?? 0,
      probability: s.probability ?? 0, exit: s.exit_criteria ?? s.exit ?? [], closed: !!s.closed,
      active: s.active !== false,
    })).filter((s) => s.key && s.active);
    if (list.length) { stages = list; await setMeta('stages', list); }
  } catch { /* keep defaults or the cached copy */ }
  return stages;
}

export const allStages = () => stages;
export const stageName = (key) => {
  const stage = stages.find((s) => s.key === key);
  return stage ? (lang() === 'en' ? stage.en : stage.zh) : key;
};

function filled(field, value) {
  if (value == null || (typeof value === 'string' && !value.trim())) return false;
  if (field === 'amount') return Number(value) > 0;
  return true;
}

/**
 * Fields the deal lacks to enter `to` (mirror of stage_move_errors): exit criteria of every
 * open stage left behind when moving forward; a lost reason for `lost`; nothing moving back.
 * @returns {{field: string, stage: StageDef|null}[]}
 */
export function missingForMove(deal, to) {
  const from = deal.stage;
  if (to === 'lost') return filled('lost_reason', deal.lost_reason) ? [] : [{ field: 'lost_reason', stage: null }];
  const start = Math.max(0, stages.findIndex((s) => s.key === from));
  const end = stages.findIndex((s) => s.key === to);
  if (end < 0) return [];
  const missing = [];
  for (const stage of stages.slice(start, end)) {
    if (stage.closed) continue;
    for (const field of stage.exit) {
      if (!filled(field, deal[field]) && !missing.some((m) => m.field === field)) missing.push({ field, stage });
    }
  }
  return missing;
}

let restDeals = true; // becomes false once /api/deals answers 404

/**
 * Move a deal: ask for missing fields first, then write. Resolves true when moved.
 * @param {{id: string, values: Record<string, any>}} deal
 * @param {string} to
 */
export async function moveDeal(deal, to) {
  const values = { ...deal.values };
  if (values.stage === to) return false;
  let extra = {};
  const missing = missingForMove(values, to);
  if (missing.length) {
    const filledIn = await askFields(to, missing.map((m) => ({
      field: m.field,
      message: m.stage ? t('pipeline.exit_field', { field: t(`field.${m.field}`), stage: m.stage[lang() === 'en' ? 'en' : 'zh'] })
        : errorText('deal.lost_reason.required'),
    })), values);
    if (!filledIn) return false;
    extra = filledIn;
  }
  for (;;) {
    const result = await writeMove(deal, { ...extra, stage: to });
    if (result === true) return true;
    // The server named fields (exit criteria it knows and we did not): ask for them.
    const retry = await askFields(to, result.map((e) => ({ field: e.field, message: e.message })), { ...values, ...extra });
    if (!retry) return false;
    extra = { ...extra, ...retry };
  }
}

/** @returns {Promise<true|{field: string, message: string}[]>} */
async function writeMove(deal, fields) {
  const body = normalize(fields);
  if (navigator.onLine && restDeals) {
    try {
      await api(`/api/deals/${deal.id}`, { method: 'PATCH', body });
      await saveServerEcho(deal, body);
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 422 && error.errors.length) {
        return error.errors.map((e) => ({ field: e.field, message: e.message || errorText(e.code) }));
      }
      if (error instanceof ApiError && (error.status === 404 || error.status === 405) && !error.errors.length) restDeals = false;
      else if (!isNetworkError(error)) throw error;
    }
  }
  await saveChange('deal', deal.id, { ...deal.values, ...body });
  await changed();
  return true;
}

/** After a REST write, sync brings the record; refresh now so the UI does not wait. */
async function saveServerEcho(deal, body) {
  await changed();
  Object.assign(deal.values, body);
}

function normalize(fields) {
  const out = { ...fields };
  if (out.amount !== undefined && out.amount !== '') out.amount = Number(out.amount);
  if (out.probability !== undefined && out.probability !== '') out.probability = Math.round(Number(out.probability));
  for (const [k, v] of Object.entries(out)) if (v === '') out[k] = null;
  return out;
}

const INPUT_TYPES = { amount: 'number', probability: 'number', expected_close: 'date' };

/**
 * A dialog asking for `fields` before moving to `to`; resolves with their values or null.
 * @param {string} to
 * @param {{field: string, message: string}[]} problems
 * @param {Record<string, any>} current
 */
export function askFields(to, problems, current) {
  return new Promise((resolve) => {
    const dialog = document.createElement('dialog');
    dialog.id = 'move-dialog';
    dialog.setAttribute('aria-labelledby', 'move-title');
    const editable = problems.filter((p) => p.field in INPUT_TYPES || ['lost_reason', 'title', 'currency'].includes(p.field));
    render(dialog, html`<form method="dialog" novalidate>
      <h2 id="move-title">${t('pipeline.blocked', { stage: stageName(to) })}</h2>
      <p>${t('pipeline.fill')}</p>
      <ul class="notice error" role="alert">${problems.map((p) => html`<li data-field="${p.field}">${p.message}</li>`)}</ul>
      ${editable.map((p) => html`<div class="field"><label for="mv-${p.field}">${t(`field.${p.field}`)}</label>
        ${p.field === 'lost_reason'
          ? html`<textarea id="mv-${p.field}" name="${p.field}" required>${current[p.field] || ''}</textarea>`
          : html`<input id="mv-${p.field}" name="${p.field}" type="${INPUT_TYPES[p.field] || 'text'}" ${p.field === 'amount' ? html`min="0" step="0.01"` : ''} value="${current[p.field] ?? ''}" required>`}
        </div>`)}
      <div class="actions">
        <button class="btn primary" value="ok" type="submit">${t('pipeline.move_and_save')}</button>
        <button class="btn" value="cancel" type="submit" formnovalidate>${t('common.cancel')}</button>
      </div></form>`);
    document.body.append(dialog);
    const form = /** @type {HTMLFormElement} */ (dialog.querySelector('form'));
    dialog.addEventListener('close', () => {
      const ok = dialog.returnValue === 'ok' && editable.length > 0;
      const values = ok ? formValues(form) : null;
      dialog.remove();
      resolve(ok && values && Object.values(values).every((v) => String(v).trim()) ? values : null);
    });
    dialog.showModal();
    /** @type {HTMLElement|null} */ (dialog.querySelector('input, textarea'))?.focus();
  });
}
