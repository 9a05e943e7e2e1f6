// App start: session, router, navigation, sync status bar, language switch.

import { $, html, render, toast } from './dom.js';
import { t, lang, setLang, onLangChange, fmtRelative } from './i18n.js';
import { session, loadSession, markExpired, isManager } from './session.js';
import { setUnauthorizedHandler } from './api.js';
import { initDevice } from './outbox.js';
import { status, onSync, startSync, syncNow } from './sync.js';

/** @typedef {{refresh?: () => void|Promise<void>, dispose?: () => void}} ViewHandle */
/** @typedef {(main: HTMLElement, params: string[], query: URLSearchParams) => Promise<ViewHandle|void>} View */

/** [pattern, module path, export name] — views load on demand (all are in the SW cache). */
const ROUTES = [
  [/^\/login$/, './views/login.js'],
  [/^\/customers$/, './views/customers.js'],
  [/^\/customers\/new$/, './views/customer-form.js'],
  [/^\/customers\/([\w-]+)\/edit$/, './views/customer-form.js'],
  [/^\/customers\/([\w-]+)\/visit$/, './views/visit.js'],
  [/^\/customers\/([\w-]+)$/, './views/customer.js'],
  [/^\/followups$/, './views/followups.js'],
  [/^\/pipeline$/, './views/pipeline.js'],
  [/^\/analytics$/, './views/analytics.js'],
  [/^\/settings$/, './views/settings.js'],
];

/** @type {ViewHandle|null} */
let current = null;
let staleWhileLoading = false;
let routeTicket = 0;
let started = false;

const homeRoute = () => (isManager() ? '#/pipeline' : '#/customers');

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

/** Routes run one after another; a route superseded before it starts is skipped. */
let routing = Promise.resolve();
function route() {
  const ticket = ++routeTicket;
  routing = routing.then(() => (ticket === routeTicket ? showRoute(ticket) : undefined));
  return routing;
}

/** @param {number} ticket */
async function showRoute(ticket) {
  const [path, search = ''] = (location.hash.slice(1) || '').split('?');
  if (!session.user && path !== '/login') { navigate('#/login'); return; }
  if (!path || path === '/') { navigate(session.user ? homeRoute() : '#/login'); return; }
  const match = ROUTES.map(([re, mod]) => [re.exec(path), mod]).find(([m]) => m);
  if (!match) { navigate(homeRoute()); return; }
  const [found, modulePath] = /** @type {[RegExpExecArray, string]} */ (match);
  current?.dispose?.();
  current = null;
  const main = /** @type {HTMLElement} */ ($('#main'));
  renderNav(path);
  try {
    const module = await import(modulePath);
    if (ticket !== routeTicket) return; // a newer route took over
    staleWhileLoading = false;
    const handle = (await module.default(main, found.slice(1), new URLSearchParams(search))) || null;
    if (ticket !== routeTicket) { handle?.dispose?.(); return; }
    current = handle;
    // Data that arrived while the view was loading may not be on screen yet.
    if (staleWhileLoading) current?.refresh?.();
  } catch (error) {
    console.error(error);
    render(main, html`<p class="error" role="alert">${t('error.generic')} ${String(error?.message || error)}</p>`);
  }
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

function renderNav(path) {
  const nav = $('#nav');
  if (!nav) return;
  if (!session.user) { nav.hidden = true; return; }
  nav.hidden = false;
  const items = isManager()
    ? [['#/pipeline', 'nav.pipeline', '▦'], ['#/customers', 'nav.team', '☰'],
      ['#/analytics', 'nav.analytics', '◔'], ['#/followups', 'nav.followups', '✓'], ['#/settings', 'nav.settings', '☺']]
    : [['#/customers', 'nav.customers', '☰'], ['#/followups', 'nav.followups', '✓'],
      ['#/pipeline', 'nav.pipeline', '▦'], ['#/settings', 'nav.settings', '☺']];
  render(nav, html`<ul>${items.map(([href, key, icon]) => {
    const active = path.startsWith(href.slice(1));
    return html`<li><a href="${href}" ${active ? html`aria-current="page"` : ''}><span class="icon" aria-hidden="true">${icon}</span><span>${t(key)}</span></a></li>`;
  })}</ul>`);
}

function renderStatus() {
  const el = $('#sync-status');
  if (!el) return;
  el.hidden = !session.user;
  const online = status.online && navigator.onLine;
  let text = online ? t('sync.online') : t('sync.offline');
  if (status.syncing) text = status.progress > 200 ? t('sync.downloading', { n: status.progress }) : t('sync.syncing');
  const parts = [text];
  if (status.pending) parts.push(t('sync.pending', { n: status.pending }));
  if (status.rejected) parts.push(t('sync.rejected', { n: status.rejected }));
  if (!status.syncing && online && !status.pending) {
    parts.push(status.lastSynced ? t('sync.last', { when: fmtRelative(status.lastSynced) }) : t('sync.never'));
  }
  el.dataset.online = String(online);
  el.dataset.pending = String(status.pending);
  el.dataset.syncing = String(status.syncing);
  el.dataset.state = !online ? 'offline' : status.errorCode ? 'error' : status.syncing ? 'syncing' : 'ok';
  el.querySelector('.label').textContent = parts.join(' · ');
  el.title = t('sync.status');

  const banner = $('#banner');
  if (!banner) return;
  /** @type {string[]} */
  const notes = [];
  if (status.quota) notes.push(t('sync.quota'));
  if (status.errorCode === 'auth' || session.expired) notes.push(t('sync.auth'));
  else if (status.errorCode === 'unavailable') notes.push(t('sync.unavailable'));
  else if (status.errorCode === 'error' && status.error) notes.push(t('sync.error', { message: status.error }));
  banner.hidden = !notes.length || !session.user;
  render(banner, html`${notes.map((n) => html`<p>${n}</p>`)}${
    (status.errorCode === 'auth' || session.expired) ? html`<a href="#/login">${t('login.submit')}</a>` : ''}`);
}

function renderChrome() {
  document.documentElement.lang = lang();
  document.title = t('app.name');
  const skip = $('.skip');
  if (skip) skip.textContent = t('app.skip');
  $('#nav')?.setAttribute('aria-label', t('nav.main'));
  const select = /** @type {HTMLSelectElement} */ ($('#lang-switch'));
  if (select) select.value = lang();
  renderStatus();
}

/** Called once a user is known (start-up with a saved session, or after login). */
export async function signedIn() {
  document.body.dataset.role = session.user?.role || '';
  await initDevice(session.user.id);
  if (!started) {
    started = true;
    await startSync();
  } else {
    syncNow();
  }
  renderChrome();
}

async function main() {
  loadSession();
  renderChrome();
  $('#lang-switch')?.addEventListener('change', (e) => setLang(/** @type {any} */ (e.target).value));
  $('#sync-status')?.addEventListener('click', () => {
    if (navigator.onLine) syncNow();
    navigate('#/settings');
  });
  onLangChange(() => { renderChrome(); route(); });
  onSync('status', renderStatus);
  onSync('data', () => {
    if (current) current.refresh?.();
    else staleWhileLoading = true;
  });
  setInterval(renderStatus, 30_000);
  setUnauthorizedHandler(() => {
    if (session.user && !session.expired) { markExpired(); renderStatus(); toast(t('login.again'), 'error'); }
  });
  window.addEventListener('hashchange', route);
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((e) => console.warn('SW', e));
    // A new shell version took over: reload so every module comes from the same version
    // (at the next screen change when a form is open, so nothing typed is lost).
    let hadController = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (!hadController) { hadController = true; return; }
      if (/\/(edit|visit|new)\b/.test(location.hash)) {
        window.addEventListener('hashchange', () => location.reload(), { once: true });
      } else {
        location.reload();
      }
    });
    navigator.serviceWorker.addEventListener('message', (event) => {
      if (event.data?.type === 'navigate' && event.data.hash) navigate(event.data.hash);
    });
  }
  if (session.user) await signedIn();
  await route();
  document.body.dataset.ready = 'true';
}

main();
