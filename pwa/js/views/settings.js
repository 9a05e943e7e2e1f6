// "Me": language, push notifications, sync state and the changes the server refused, sign out.

import { html, render, on, toast } from '../dom.js';
import { t, lang, setLang, LANGUAGES, fmtDateTime, fmtBytes, errorText } from '../i18n.js';
import { session, clearSession } from '../session.js';
import { status, syncNow, changed } from '../sync.js';
import { device, rejectedEntries, discardEntry, outboxCounts } from '../outbox.js';
import { clearUserData } from '../db.js';
import { api } from '../api.js';
import { pushState, enablePush, disablePush } from '../push.js';

/** @param {HTMLElement} main */
export default async function settings(main) {
  let disposed = false;
  const refresh = async () => {
    const push = await pushState().catch(() => 'unsupported');
    const rejected = await rejectedEntries();
    const estimate = await navigator.storage?.estimate?.().catch(() => null);
    if (disposed) return;
    const user = session.user;
    render(main, html`<h1>${t('settings.title')}</h1>
      <p>${t('settings.signed_in', { name: user?.display_name || '', role: t(`role.${user?.role}`) })}</p>
      <section class="card" aria-labelledby="h-lang"><h2 id="h-lang">${t('settings.language')}</h2>
        <div class="row" role="radiogroup" aria-labelledby="h-lang">${LANGUAGES.map((l) => html`<label class="check">
          <input type="radio" name="lang" value="${l}" ${lang() === l ? 'checked' : ''}> ${l === 'en' ? 'English' : '简体中文'}</label>`)}</div>
      </section>
      <section class="card" aria-labelledby="h-sync" id="sync-panel"><h2 id="h-sync">${t('sync.status')}</h2>
        <dl class="kv">
          <dt>${t('sync.status')}</dt><dd id="sync-online">${status.online ? t('sync.online') : t('sync.offline')}${status.syncing ? ` · ${t('sync.syncing')}` : ''}</dd>
          <dt>${t('sync.pending_label')}</dt><dd id="sync-pending">${status.pending}</dd>
          <dt>${t('sync.last_label')}</dt><dd>${status.lastSynced ? fmtDateTime(status.lastSynced) : t('sync.never')}</dd>
          <dt>${t('sync.device')}</dt><dd><code>${device.id}</code></dd>
          <dt>${t('sync.storage')}</dt><dd>${status.persisted ? t('sync.persisted') : t('sync.not_persisted')}${estimate?.quota
            ? html`<br><span class="small muted">${t('sync.usage', { used: fmtBytes(estimate.usage || 0), quota: fmtBytes(estimate.quota) })}</span>` : ''}</dd>
        </dl>
        ${status.quota ? html`<p class="notice error">${t('sync.quota')}</p>` : ''}
        ${status.errorCode === 'error' ? html`<p class="notice error">${t('sync.error', { message: status.error || '' })}</p>` : ''}
        <button class="btn" data-action="sync" ${status.online ? '' : 'disabled'}>${t('sync.now')}</button>
      </section>
      ${rejected.length ? html`<section class="card" aria-labelledby="h-rej"><h2 id="h-rej">${t('settings.outbox')}</h2>
        <ul class="list">${rejected.map((e) => html`<li><div class="item">
          <div class="title">${e.entity} · ${Object.keys(e.fields || {}).map((f) => t(`field.${f}`)).join(', ')}</div>
          <p class="error">${e.error?.errors?.length ? e.error.errors.map((fe) => errorText(fe.code, {}, fe.message)).join(' ') : e.error?.message}</p>
          <div class="actions">
            ${e.entity === 'customer' ? html`<a class="btn small" href="#/customers/${e.record_id}/edit?retry=${e.seq}">${t('common.retry')}</a>`
              : e.entity !== 'deal' && e.fields?.customer_id?.value ? html`<a class="btn small" href="#/customers/${e.fields.customer_id.value}">${t('customer.open')}</a>` : ''}
            <button class="btn small danger" data-action="discard" data-seq="${e.seq}">${t('common.discard')}</button></div>
        </div></li>`)}</ul></section>` : ''}
      <section class="card" aria-labelledby="h-push"><h2 id="h-push">${t('settings.push')}</h2>
        ${push === 'unsupported' ? html`<p class="muted">${t('settings.push_unsupported')}</p>`
          : push === 'denied' ? html`<p class="muted">${t('settings.push_denied')}</p>`
            : push === 'on' ? html`<p>${t('settings.push_on')}</p><button class="btn" data-action="push-off">${t('settings.push_disable')}</button>`
              : html`<button class="btn primary" data-action="push-on" ${navigator.onLine ? '' : 'disabled'}>${t('settings.push_enable')}</button>`}
      </section>
      <button class="btn danger" data-action="logout">${t('settings.logout')}</button>`);
  };
  const offs = [
    on(main, 'change', 'input[name=lang]', (e, el) => setLang(/** @type {any} */ (el).value)),
    on(main, 'click', '[data-action=sync]', async () => { await syncNow(); await refresh(); }),
    on(main, 'click', '[data-action=discard]', async (e, el) => { await discardEntry(Number(el.dataset.seq)); await changed(); await refresh(); }),
    on(main, 'click', '[data-action=push-on]', async () => {
      try { await enablePush(); } catch (error) { toast(String(error?.message || error), 'error'); }
      await refresh();
    }),
    on(main, 'click', '[data-action=push-off]', async () => { await disablePush(); await refresh(); }),
    on(main, 'click', '[data-action=logout]', async () => {
      const { pending } = await outboxCounts();
      if (pending && !confirm(t('settings.logout_pending', { n: pending }))) return;
      await api('/api/auth/logout', { method: 'POST' }).catch(() => {});
      await clearUserData();
      clearSession();
      location.hash = '#/login';
      location.reload();
    }),
  ];
  await refresh();
  return { refresh, dispose: () => { disposed = true; offs.forEach((off) => off()); } };
}
