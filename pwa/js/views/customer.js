// Customer 360°: profile, follow-ups, deals, contacts, activities from the device; contracts,
// tickets, owner history and audit trail from the server when online (kept for offline).
// Unsynced and refused changes and overwritten values (conflicts) are shown on the record.

import { html, render, on, toast } from '../dom.js';
import { t, lang, fmtDate, fmtDateTime, fmtMoney, fmtRelative } from '../i18n.js';
import { getRecord, childrenOf } from '../store.js';
import { formatPhone, regionName, industryName } from '../validate.js';
import { rejectedEntries, discardEntry, saveChange } from '../outbox.js';
import { changed, conflictsFor, cachePut, guardedSave } from '../sync.js';
import { api } from '../api.js';
import { get, byIndex } from '../db.js';
import { session } from '../session.js';
import { allStages, stageName, moveDeal, loadStages } from '../deals.js';

/** @param {HTMLElement} main @param {string[]} params */
export default async function customer(main, [id]) {
  await loadStages();
  let extras = (await get('cache', `360:${id}`))?.value || null;
  let conflicts = [];
  let disposed = false;

  const refresh = async () => {
    if (disposed) return;
    const record = await getRecord('customer', id);
    if (!record || record.deleted) {
      render(main, html`<p class="notice warn">${t('customer.not_found')}</p><a class="btn" href="#/customers">${t('common.back')}</a>`);
      return;
    }
    const kids = await childrenOf(id);
    if (!kids.deal.length && extras?.deals?.length) {
      // Deals not synced to this device (yet): show the server's, moves go through REST.
      kids.deal = extras.deals.filter((d) => !d.deleted).map((d) => ({ id: String(d.id), values: { ...d, customer_id: id }, pending: 0 }));
    }
    const rejected = [];
    for (const r of [record, ...kids.follow_up, ...kids.deal, ...kids.activity, ...kids.contact]) {
      if (r.rejected) rejected.push(...(await rejectedEntries(r.id)));
    }
    const recent = Date.now() - 30 * 86400000;
    conflicts = (await byIndex('conflicts', 'record', id))
      .filter((c) => !c.at || new Date(c.at).getTime() > recent)
      .sort((a, b) => String(b.at).localeCompare(String(a.at)));
    render(main, page(record, kids, rejected, conflicts, extras));
  };

  const offs = [
    on(main, 'click', '[data-action=done]', async (e, el) => {
      if (!(await guardedSave(() => saveChange('follow_up', el.dataset.id || '', { done_at: new Date().toISOString() })))) return;
      await changed();
      await refresh();
    }),
    on(main, 'click', '[data-action=discard]', async (e, el) => {
      await discardEntry(Number(el.dataset.seq));
      await changed();
      await refresh();
    }),
    on(main, 'click', '[data-action=keep-mine]', async (e, el) => {
      const conflict = conflicts.find((c) => String(c.id) === el.dataset.conflict);
      if (!conflict) return;
      await saveChange(conflict.entity, conflict.record_id, { [conflict.field]: conflict.loser.value });
      await changed();
      toast(t('common.saved_offline'));
      await refresh();
    }),
    on(main, 'change', 'select[data-deal]', async (e, el) => {
      const select = /** @type {HTMLSelectElement} */ (el);
      const deal = (await getRecord('deal', select.dataset.deal)) ||
        (extras?.deals || []).filter((d) => String(d.id) === select.dataset.deal).map((d) => ({ id: String(d.id), values: { ...d } }))[0];
      if (!deal) return;
      const moved = await moveDeal(deal, select.value);
      if (moved) toast(t('pipeline.moved', { stage: stageName(select.value) }));
      else select.value = deal.values.stage;
      await refresh();
    }),
  ];

  await refresh();
  // Online extras and conflicts load after the local page is on screen.
  (async () => {
    await conflictsFor(id).catch(() => []); // stores them for refresh() (and offline)
    if (navigator.onLine) {
      try {
        const view = await api(`/api/customers/${id}/360`);
        extras = {
          deals: view.deals || [], contracts: view.contracts || [], tickets: view.tickets || [],
          owner_history: view.owner_history || [], audit: view.audit || [],
        };
        await cachePut(`360:${id}`, extras);
      } catch { /* keep the cached copy */ }
    }
    if (!disposed) await refresh();
  })();
  return { refresh, dispose: () => { disposed = true; offs.forEach((off) => off()); } };
}

function page(record, kids, rejected, conflicts, extras) {
  const v = record.values;
  const l = lang();
  const openFollowUps = kids.follow_up.filter((f) => !f.values.done_at);
  return html`
  <article class="customer" data-id="${record.id}">
    <a href="#/customers" class="small">← ${t('common.back')}</a>
    <h1>${v.name} <span class="badge grade-${v.grade || 'C'}">${v.grade || 'C'}</span></h1>
    <p class="muted">${v.kind ? t(`kind.${v.kind}`) : ''} · ${v.lifecycle ? t(`lifecycle.${v.lifecycle}`) : ''}
      ${record.owner_name ? html` · ${t('customers.owner')}: ${record.owner_name}` : ''}</p>
    <div class="actions">
      <a class="btn primary" href="#/customers/${record.id}/visit">${t('customer.log_visit')}</a>
      <a class="btn" href="#/customers/${record.id}/edit">${t('common.edit')}</a>
      ${v.phone ? html`<a class="btn" href="tel:${v.phone}">${t('customer.call')}</a>` : ''}
    </div>
    ${record.pending || kids.activity.some((a) => a.pending) || kids.follow_up.some((f) => f.pending)
      ? html`<p class="notice warn" id="unsynced">⟳ ${t('customer.unsynced')}</p>` : ''}
    ${rejected.length ? rejectedBox(rejected) : ''}
    ${conflicts.length ? conflictBox(conflicts, record.values) : ''}
    <div class="two-col">
      <div>
        <section class="card" aria-labelledby="h-profile"><h2 id="h-profile">${t('customer.profile')}</h2>
          <dl class="kv" id="profile">
            <dt>${t('field.phone')}</dt><dd data-field="phone">${v.phone ? html`<a href="tel:${v.phone}">${formatPhone(v.phone)}</a>` : '—'}</dd>
            <dt>${t('field.email')}</dt><dd data-field="email">${v.email ? html`<a href="mailto:${v.email}">${v.email}</a>` : '—'}</dd>
            <dt>${t('field.region')}</dt><dd data-field="region">${v.region ? regionName(v.region, l) : '—'}</dd>
            <dt>${t('field.address')}</dt><dd data-field="address">${v.address || '—'}</dd>
            <dt>${t('field.industry')}</dt><dd data-field="industry">${v.industry ? industryName(v.industry, l) : '—'}</dd>
            <dt>${t('field.size')}</dt><dd>${v.size || '—'}</dd>
            <dt>${t('field.source')}</dt><dd>${v.source || '—'}</dd>
            <dt>${t('field.tags')}</dt><dd>${(v.tags || []).length ? v.tags.map((tag) => html`<span class="tag">${tag}</span>`) : '—'}</dd>
            <dt>${t('field.notes')}</dt><dd data-field="notes">${v.notes || '—'}</dd>
          </dl></section>
        <section class="card" aria-labelledby="h-followups"><h2 id="h-followups">${t('customer.followups')}</h2>
          ${openFollowUps.length ? html`<ul class="list" id="followups">${openFollowUps.map((f) => html`<li><div class="item spread">
            <div class="grow"><div class="title">${f.values.title}</div>
              <div class="meta"><span class="${new Date(f.values.due_at) < new Date() ? 'error' : ''}">${fmtDate(f.values.due_at)}</span>
              ${f.pending ? html`<span class="badge pending">⟳</span>` : ''}</div></div>
            <button class="btn small" data-action="done" data-id="${f.id}">${t('followups.mark_done')}</button></div></li>`)}</ul>`
            : html`<p class="muted">${t('common.empty')}</p>`}</section>
        <section class="card" aria-labelledby="h-deals"><h2 id="h-deals">${t('customer.deals')}</h2>
          ${kids.deal.length ? html`<ul class="list">${kids.deal.map((d) => html`<li><div class="item">
            <div class="title">${d.values.title} <span class="amount">${fmtMoney(d.values.amount, d.values.currency)}</span></div>
            <label class="sr-only" for="stage-${d.id}">${t('field.stage')}</label>
            <select id="stage-${d.id}" data-deal="${d.id}">${allStages().map((s) => html`<option value="${s.key}" ${s.key === d.values.stage ? 'selected' : ''}>${stageName(s.key)}</option>`)}</select>
            </div></li>`)}</ul>` : html`<p class="muted">${t('common.empty')}</p>`}</section>
        <section class="card" aria-labelledby="h-contacts"><h2 id="h-contacts">${t('customer.contacts')}</h2>
          ${kids.contact.length ? html`<ul class="list">${kids.contact.map((c) => html`<li><div class="item">
            <div class="title">${c.values.name} ${c.values.is_primary ? '★' : ''}</div>
            <div class="meta"><span>${c.values.title || ''}</span>
              ${c.values.phone ? html`<a href="tel:${c.values.phone}">${formatPhone(c.values.phone)}</a>` : ''}
              ${c.values.email ? html`<a href="mailto:${c.values.email}">${c.values.email}</a>` : ''}</div></div></li>`)}</ul>`
            : html`<p class="muted">${t('common.empty')}</p>`}</section>
      </div>
      <div>
        <section class="card" aria-labelledby="h-activities"><h2 id="h-activities">${t('customer.activities')}</h2>
          ${kids.activity.length ? html`<ol class="timeline" id="activities">${kids.activity.map((a) => html`<li>
            <div class="meta muted small"><strong>${t(`activity.${a.values.kind || 'note'}`)}</strong> · ${fmtDateTime(a.values.occurred_at)}
              ${a.owner_name || a.extra?.author_name ? html` · ${a.owner_name || a.extra?.author_name}` : ''}
              ${a.pending ? html` <span class="badge pending">⟳</span>` : ''}</div>
            <div>${a.values.summary}</div>
            ${a.values.next_step ? html`<div class="small">→ ${a.values.next_step}</div>` : ''}
            ${a.values.location ? html`<div class="small muted">${t('field.location')}: ${a.values.location}</div>` : ''}</li>`)}</ol>`
            : html`<p class="muted">${t('common.empty')}</p>`}</section>
        ${extrasBox(extras)}
      </div>
    </div>
  </article>`;
}

function rejectedBox(entries) {
  return html`<section class="notice error" id="rejected" aria-labelledby="h-rejected">
    <h2 id="h-rejected">${t('customer.rejected')}</h2>
    ${entries.map((e) => html`<div class="rejected-entry" data-seq="${e.seq}">
      <p>${e.error?.message || e.error?.code}</p>
      ${e.error?.errors?.length ? html`<ul>${e.error.errors.map((fe) => html`<li data-field="${fe.field}">${t(`field.${fe.field}`)}: ${fe.message}</li>`)}</ul>` : ''}
      <div class="actions">
        ${e.entity === 'customer' ? html`<a class="btn small" href="#/customers/${e.record_id}/edit?retry=${e.seq}">${t('common.retry')}</a>` : ''}
        <button class="btn small danger" data-action="discard" data-seq="${e.seq}">${t('common.discard')}</button>
      </div></div>`)}
  </section>`;
}

function show(value) {
  if (value == null || value === '') return '—';
  return Array.isArray(value) ? value.join(', ') : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function conflictBox(conflicts, current) {
  const me = String(session.user?.id ?? '');
  return html`<section class="notice info" id="conflicts" aria-labelledby="h-conflicts">
    <h2 id="h-conflicts">${t('customer.conflicts')}</h2>
    <ul>${conflicts.map((c) => html`<li data-field="${c.field}">
      ${t('customer.conflict', {
        field: t(`field.${c.field}`), loser: show(c.loser?.value), winner: show(c.winner?.value),
        loser_name: c.loser?.actor_name || c.loser?.device_id || '?', winner_name: c.winner?.actor_name || c.winner?.device_id || '?',
        at: c.at ? fmtRelative(c.at) : '',
      })}
      ${String(c.loser?.actor) === me && show(current[c.field]) !== show(c.loser?.value) ? html` <button class="btn small" data-action="keep-mine" data-conflict="${c.id}">${t('customer.keep_mine', { value: show(c.loser?.value) })}</button>` : ''}
    </li>`)}</ul></section>`;
}

function extrasBox(extras) {
  if (!extras) return html`<section class="card"><p class="muted">${t('customer.contracts')}, ${t('customer.tickets')}, ${t('customer.audit')}: ${t('common.online_only')}</p></section>`;
  return html`
    <section class="card" aria-labelledby="h-contracts"><h2 id="h-contracts">${t('customer.contracts')}</h2>
      ${extras.contracts.length ? html`<div class="table-wrap"><table><tbody>${extras.contracts.map((c) => html`<tr>
        <td>${c.number}</td><td>${fmtDate(c.start_date)} – ${fmtDate(c.end_date)}</td><td class="num">${fmtMoney(c.amount, c.currency)}</td><td>${t(`contract.${c.status}`)}</td></tr>`)}</tbody></table></div>`
        : html`<p class="muted">${t('common.empty')}</p>`}</section>
    <section class="card" aria-labelledby="h-tickets"><h2 id="h-tickets">${t('customer.tickets')}</h2>
      ${extras.tickets.length ? html`<ul class="list">${extras.tickets.map((k) => html`<li><div class="item">
        <div class="title">${k.title}</div><div class="meta"><span>${t(`ticket.${k.status}`)}</span><span>${t(`priority.${k.priority}`)}</span><span>${fmtDate(k.opened_at)}</span></div></div></li>`)}</ul>`
        : html`<p class="muted">${t('common.empty')}</p>`}</section>
    <section class="card" aria-labelledby="h-owners"><h2 id="h-owners">${t('customer.owners')}</h2>
      ${extras.owner_history.length ? html`<ol class="timeline">${extras.owner_history.map((o) => html`<li>
        <span class="small muted">${fmtDate(o.changed_at)}</span> ${o.from_name || '—'} → ${o.to_name || '—'} <span class="muted small">${o.reason || ''}</span></li>`)}</ol>`
        : html`<p class="muted">${t('common.empty')}</p>`}</section>
    <section class="card" aria-labelledby="h-audit"><h2 id="h-audit">${t('customer.audit')}</h2>
      ${extras.audit.length ? html`<ol class="timeline">${extras.audit.slice(0, 30).map((a) => html`<li>
        <span class="small muted">${fmtDateTime(a.at)}</span> ${a.actor_name || ''} · ${a.action}
        ${a.after && typeof a.after === 'object' ? html`<span class="small muted"> ${Object.keys(a.after).join(', ')}</span>` : ''}</li>`)}</ol>`
        : html`<p class="muted">${t('common.empty')}</p>`}</section>`;
}
