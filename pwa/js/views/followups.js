// My follow-ups: overdue, due today, the next 7 days, and customers due by contact cadence
// (A every 3 days, B weekly, C monthly since the last contact).

import { html, render, on } from '../dom.js';
import { t, fmtDate, fmtDateTime } from '../i18n.js';
import { allOf, lastContacts, dayBounds } from '../store.js';
import { saveChange } from '../outbox.js';
import { changed, guardedSave } from '../sync.js';
import { session, isManager } from '../session.js';

const CADENCE_DAYS = { A: 3, B: 7, C: 30 };

/** @param {HTMLElement} main */
export default async function followups(main) {
  let disposed = false;
  const refresh = async () => {
    const [start, end] = dayBounds();
    const week = new Date(end.getTime() + 7 * 86400000);
    const customers = new Map((await allOf('customer')).map((c) => [c.id, c]));
    const me = session.user?.id;
    const mine = (await allOf('follow_up')).filter((f) => !f.values.done_at && f.values.due_at &&
      (f.owner_id == null || f.owner_id === me || isManager()));
    mine.sort((a, b) => String(a.values.due_at).localeCompare(String(b.values.due_at)));
    const due = (f) => new Date(f.values.due_at);
    const overdue = mine.filter((f) => due(f) < start);
    const today = mine.filter((f) => due(f) >= start && due(f) < end);
    const upcoming = mine.filter((f) => due(f) >= end && due(f) < week);

    const contacts = await lastContacts();
    const cadence = [];
    for (const c of customers.values()) {
      if (c.owner_id != null && c.owner_id !== me) continue;
      if (['churned', 'invalid'].includes(c.values.lifecycle)) continue;
      const last = contacts.get(c.id);
      const days = last ? Math.floor((Date.now() - new Date(last).getTime()) / 86400000) : null;
      const limit = CADENCE_DAYS[c.values.grade || 'C'];
      if (days !== null && days >= limit) cadence.push({ c, days });
    }
    cadence.sort((a, b) => (a.c.values.grade || 'C').localeCompare(b.c.values.grade || 'C') || b.days - a.days);

    const item = (f, cls = '') => {
      const c = customers.get(f.values.customer_id);
      return html`<li data-id="${f.id}"><div class="item spread">
        <div class="grow"><div class="title">${f.values.title}</div>
          <div class="meta">${c ? html`<a href="#/customers/${c.id}">${c.values.name}</a>` : ''}
            <span class="${cls}">${fmtDateTime(f.values.due_at)}</span>
            ${f.pending ? html`<span class="badge pending">⟳</span>` : ''}</div></div>
        <button class="btn small" data-action="done" data-id="${f.id}">${t('followups.mark_done')}</button></div></li>`;
    };
    const section = (id, title, list, cls = '') => html`<section aria-labelledby="h-${id}"><h2 id="h-${id}">${title} <span class="badge">${list.length}</span></h2>
      ${list.length ? html`<ul class="list" id="${id}">${list.map((f) => item(f, cls))}</ul>` : html`<p class="muted small">${t('common.empty')}</p>`}</section>`;

    if (disposed) return;
    render(main, html`<h1>${t('followups.title')}</h1>
      ${!overdue.length && !today.length ? html`<p class="notice info">${t('followups.none')}</p>` : ''}
      ${section('overdue', t('followups.overdue'), overdue, 'error')}
      ${section('today', t('followups.today'), today)}
      ${section('upcoming', t('followups.upcoming'), upcoming)}
      <section aria-labelledby="h-cadence"><h2 id="h-cadence">${t('followups.cadence')} <span class="badge">${cadence.length}</span></h2>
        <p class="muted small">${t('followups.cadence_hint')}</p>
        <ul class="list" id="cadence">${cadence.slice(0, 50).map(({ c, days }) => html`<li><a class="item" href="#/customers/${c.id}">
          <span class="title">${c.values.name} <span class="badge grade-${c.values.grade || 'C'}">${c.values.grade || 'C'}</span></span>
          <span class="meta"><span>${t('followups.days_since', { n: days })}</span><span>${fmtDate(contacts.get(c.id))}</span></span></a></li>`)}</ul>
      </section>`);
  };
  const off = on(main, 'click', '[data-action=done]', async (e, el) => {
    if (!(await guardedSave(() => saveChange('follow_up', el.dataset.id || '', { done_at: new Date().toISOString() })))) return;
    await changed();
    await refresh();
  });
  await refresh();
  return { refresh, dispose: () => { disposed = true; off(); } };
}
