// Managers' analytics: funnel (conversion, dwell, win rate, cycle, deal size, forecast), rep
// activity and data quality — from /api/analytics/* when online, else computed from the
// deals and customers synced to this device (and labelled so).

import { html, render, on } from '../dom.js';
import { t, fmtNumber, fmtMoney, fmtPercent } from '../i18n.js';
import { api, apiBlob } from '../api.js';
import { cachePut } from '../sync.js';
import { get } from '../db.js';
import { allOf } from '../store.js';
import { funnelChart, barChart, downloadCsv, saveBlob } from '../charts.js';
import { allStages, stageName, loadStages } from '../deals.js';
import { session } from '../session.js';

const COMPLETENESS_FIELDS = ['phone', 'email', 'region', 'address', 'industry', 'size', 'source'];
const CADENCE_DAYS = { A: 3, B: 7, C: 30 };

/** @param {HTMLElement} main */
export default async function analytics(main) {
  await loadStages();
  render(main, html`<h1>${t('analytics.title')}</h1><p class="muted">${t('common.loading')}</p>`);
  let disposed = false;
  const refresh = async () => {
    const data = await loadAll();
    if (!disposed) render(main, view(data));
  };
  const off = on(main, 'click', '[data-export]', async (e, el) => {
    const name = el.dataset.export || '';
    if (navigator.onLine) {
      try { // the server's export is permission-checked and audited
        saveBlob(`${name}.csv`, await apiBlob(`/api/analytics/${name}`, { format: 'csv' }));
        return;
      } catch { /* offline or refused: export what this device shows */ }
    }
    const data = await loadAll();
    const report = data[name === 'data-quality' ? 'quality' : name];
    if (!report?.rows?.length) return;
    const columns = report.columns || Object.keys(report.rows[0]);
    downloadCsv(`${name}.csv`, [columns, ...report.rows.map((r) => columns.map((c) => r[c]))]);
  });
  await refresh();
  return { dispose: () => { disposed = true; off(); } };
}

/** One report: the server's (cached for offline) or null. */
async function report(name) {
  const key = `analytics:${name}:${session.user?.id}`;
  if (navigator.onLine) {
    try {
      const data = await api(`/api/analytics/${name}`);
      await cachePut(key, data);
      return { ...data, source: 'server' };
    } catch { /* fall through */ }
  }
  const cached = (await get('cache', key))?.value;
  return cached ? { ...cached, source: 'cache' } : null;
}

async function loadAll() {
  const [funnel, summary, activity, quality] = await Promise.all(
    ['funnel', 'summary', 'activity', 'data-quality'].map(report));
  const local = (!funnel || !activity || !quality) ? await computeLocally() : null;
  return {
    funnel: funnel || local?.funnel, summary: summary || local?.summary,
    activity: activity || local?.activity, quality: quality || local?.quality,
  };
}

function view({ funnel, summary, activity, quality }) {
  const s = summary?.rows?.[0] || {};
  const note = (r) => (r?.source === 'local' ? html`<p class="muted small">${t('common.local')}</p>` : '');
  const exportBtn = (name, r) => (r?.source === 'server' || r?.source === 'cache'
    ? html`<button class="btn small" data-export="${name}">${t('analytics.export')}</button>` : '');
  const funnelRows = (funnel?.rows || []).map((r) => ({
    label: r.stage_name || stageName(r.stage), value: Number(r.reached) || 0,
    note: r.conversion_to_next == null ? '' : `→ ${fmtPercent(r.conversion_to_next)}`,
  }));
  const reps = activity?.rows || [];
  return html`<h1>${t('analytics.title')}</h1>
    <div class="kpis" id="kpis">
      <div class="kpi"><b>${fmtPercent(s.win_rate)}</b><span>${t('analytics.win_rate')}</span></div>
      <div class="kpi"><b>${s.avg_sales_cycle_days == null ? '—' : t('analytics.days', { n: fmtNumber(s.avg_sales_cycle_days, { maximumFractionDigits: 1 }) })}</b><span>${t('analytics.avg_cycle')}</span></div>
      <div class="kpi"><b>${s.avg_deal_size == null ? '—' : fmtMoney(s.avg_deal_size)}</b><span>${t('analytics.avg_deal')}</span></div>
      <div class="kpi"><b>${s.quarter_forecast == null ? '—' : fmtMoney(s.quarter_forecast)}</b><span>${t('analytics.forecast')}</span></div>
    </div>
    <div class="charts">
      <section class="card" aria-labelledby="h-funnel" id="funnel">
        <div class="spread"><h2 id="h-funnel">${t('analytics.funnel')}</h2>${exportBtn('funnel', funnel)}</div>
        ${note(funnel)}
        ${funnelRows.length ? funnelChart(funnelRows, t('analytics.funnel'), { table: false }) : html`<p class="muted">${t('common.empty')}</p>`}
        <div class="table-wrap"><table><thead><tr><th>${t('field.stage')}</th><th class="num">${t('analytics.conversion')}</th><th class="num">${t('analytics.dwell')}</th></tr></thead>
          <tbody>${(funnel?.rows || []).map((r) => html`<tr><th scope="row">${r.stage_name || stageName(r.stage)}</th>
            <td class="num">${r.conversion_to_next == null ? '—' : fmtPercent(r.conversion_to_next)}</td>
            <td class="num">${r.avg_dwell_days == null ? '—' : fmtNumber(r.avg_dwell_days, { maximumFractionDigits: 1 })}${r.expected_days ? html` <span class="muted">/ ${r.expected_days}</span>` : ''}</td></tr>`)}</tbody></table></div>
      </section>
      <section class="card" aria-labelledby="h-activity" id="rep-activity">
        <div class="spread"><h2 id="h-activity">${t('analytics.activity')}</h2>${exportBtn('activity', activity)}</div>
        ${note(activity)}<p class="muted small">${t('analytics.per_week')}</p>
        ${reps.length ? barChart({
          categories: reps.map((r) => r.rep_name || `#${r.rep_id}`),
          series: [
            { name: t('analytics.visits'), values: reps.map((r) => Number(r.visits_per_week) || 0) },
            { name: t('analytics.calls'), values: reps.map((r) => Number(r.calls_per_week) || 0) },
          ],
        }, t('analytics.activity'), { table: false }) : html`<p class="muted">${t('common.empty')}</p>`}
        <div class="table-wrap"><table><thead><tr><th>${t('analytics.rep')}</th><th class="num">${t('analytics.visits')}</th><th class="num">${t('analytics.calls')}</th>
          <th class="num">${t('analytics.followup_done')}</th><th class="num">${t('analytics.overdue')}</th></tr></thead>
          <tbody>${reps.map((r) => html`<tr><th scope="row">${r.rep_name}</th><td class="num">${fmtNumber(r.visits)}</td><td class="num">${fmtNumber(r.calls)}</td>
            <td class="num">${fmtPercent(r.completion_rate)}</td><td class="num">${fmtPercent(r.overdue_rate)}</td></tr>`)}</tbody></table></div>
      </section>
    </div>
    <section class="card" aria-labelledby="h-quality" id="data-quality">
      <div class="spread"><h2 id="h-quality">${t('analytics.quality')}</h2>${exportBtn('data-quality', quality)}</div>
      ${note(quality)}
      <div class="table-wrap"><table><thead><tr><th>${t('analytics.rep')}</th><th class="num">${t('analytics.customers')}</th>
        <th>${t('analytics.completeness')}</th><th class="num">${t('analytics.duplicates')}</th><th class="num">${t('analytics.stale')}</th></tr></thead>
        <tbody>${(quality?.rows || []).map((r) => html`<tr><th scope="row">${r.rep_name || r.team_name || '—'}</th>
          <td class="num">${fmtNumber(r.customers)}</td>
          <td><div class="row"><div class="meter grow" role="img" aria-label="${fmtPercent(r.completeness_rate)}"><i style="width:${Math.round((r.completeness_rate || 0) * 100)}%"></i></div>${fmtPercent(r.completeness_rate)}</div></td>
          <td class="num">${fmtPercent(r.duplicate_rate)}</td><td class="num">${fmtPercent(r.stale_rate)}</td></tr>`)}</tbody></table></div>
    </section>`;
}

/** Same figures, roughly, from this device's synced data (no stage history: current stage only). */
async function computeLocally() {
  const deals = await allOf('deal');
  const customers = await allOf('customer');
  const activities = await allOf('activity');
  const followUps = await allOf('follow_up');
  const stages = allStages().filter((s) => s.key !== 'lost');
  const index = (key) => stages.findIndex((s) => s.key === key);
  const reached = stages.map((s, i) => deals.filter((d) => d.values.stage !== 'lost' && index(d.values.stage) >= i).length);
  const funnel = {
    source: 'local',
    rows: stages.map((s, i) => ({
      stage: s.key, stage_name: stageName(s.key), reached: reached[i],
      conversion_to_next: i + 1 < stages.length && reached[i] ? reached[i + 1] / reached[i] : null,
      avg_dwell_days: null, expected_days: s.closed ? null : s.days,
    })),
  };
  const won = deals.filter((d) => d.values.stage === 'won');
  const lost = deals.filter((d) => d.values.stage === 'lost');
  const open = deals.filter((d) => !['won', 'lost'].includes(d.values.stage));
  const probability = (d) => d.values.probability ?? allStages().find((s) => s.key === d.values.stage)?.probability ?? 0;
  const summary = {
    source: 'local',
    rows: [{
      win_rate: won.length + lost.length ? won.length / (won.length + lost.length) : null,
      avg_deal_size: won.length ? won.reduce((a, d) => a + Number(d.values.amount || 0), 0) / won.length : null,
      avg_sales_cycle_days: null,
      quarter_forecast: open.reduce((a, d) => a + Number(d.values.amount || 0) * probability(d) / 100, 0),
    }],
  };
  const owners = new Map();
  for (const c of customers) if (c.owner_id != null) owners.set(c.owner_id, c.owner_name || `#${c.owner_id}`);
  const ownerOf = new Map(customers.map((c) => [c.id, c.owner_id]));
  const since = Date.now() - 90 * 86400000;
  const weeks = 90 / 7;
  const activity = {
    source: 'local',
    rows: [...owners].map(([id, name]) => {
      const mine = activities.filter((a) => ownerOf.get(a.values.customer_id) === id && new Date(a.values.occurred_at).getTime() >= since);
      const visits = mine.filter((a) => a.values.kind === 'visit').length;
      const calls = mine.filter((a) => a.values.kind === 'call').length;
      const due = followUps.filter((f) => ownerOf.get(f.values.customer_id) === id && new Date(f.values.due_at).getTime() <= Date.now());
      const done = due.filter((f) => f.values.done_at).length;
      return {
        rep_id: id, rep_name: name, visits, calls, visits_per_week: visits / weeks, calls_per_week: calls / weeks,
        completion_rate: due.length ? done / due.length : null,
        overdue_rate: due.length ? (due.length - done) / due.length : null,
      };
    }),
  };
  const lastContact = new Map();
  for (const a of activities) {
    const at = new Date(a.values.occurred_at).getTime();
    if (at > (lastContact.get(a.values.customer_id) || 0)) lastContact.set(a.values.customer_id, at);
  }
  const phoneCount = new Map();
  for (const c of customers) for (const k of [c.values.phone, c.values.email]) if (k) phoneCount.set(k, (phoneCount.get(k) || 0) + 1);
  const quality = {
    source: 'local',
    rows: [...owners].map(([id, name]) => {
      const mine = customers.filter((c) => c.owner_id === id);
      const filled = mine.reduce((a, c) => a + COMPLETENESS_FIELDS.filter((f) => c.values[f]).length, 0);
      const dup = mine.filter((c) => [c.values.phone, c.values.email].some((k) => k && phoneCount.get(k) > 1)).length;
      const stale = mine.filter((c) => {
        const last = lastContact.get(c.id) || new Date(c.extra?.last_contact_at || 0).getTime();
        return Date.now() - last > CADENCE_DAYS[c.values.grade || 'C'] * 86400000;
      }).length;
      return {
        rep_id: id, rep_name: name, customers: mine.length,
        completeness_rate: mine.length ? filled / (mine.length * COMPLETENESS_FIELDS.length) : null,
        duplicate_rate: mine.length ? dup / mine.length : null, stale_rate: mine.length ? stale / mine.length : null,
      };
    }),
  };
  return { funnel, summary, activity, quality };
}
