// Sign in. A different user than the device's last one gets a clean local store.

import { $, html, render, formValues } from '../dom.js';
import { t } from '../i18n.js';
import { api, ApiError, isNetworkError } from '../api.js';
import { session, saveSession } from '../session.js';
import { getMeta, setMeta, clearUserData } from '../db.js';
import { navigate, signedIn } from '../main.js';
import { outboxCounts } from '../outbox.js';

/** @param {HTMLElement} main */
export default async function login(main) {
  const expired = !!session.user && session.expired;
  const previous = session.user;
  render(main, html`
    <section class="login card">
      <h1>${t('login.title')}</h1>
      ${expired ? html`<p class="notice warn">${t('login.again')}</p>` : ''}
      ${navigator.onLine ? '' : html`<p class="notice warn">${t('login.offline')}</p>`}
      <form id="login-form" novalidate>
        <div class="field"><label for="username">${t('login.username')}</label>
          <input id="username" name="username" autocomplete="username" required autocapitalize="none"
            value="${expired ? previous?.username || '' : ''}"></div>
        <div class="field"><label for="password">${t('login.password')}</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required></div>
        <p class="error" id="login-error" role="alert"></p>
        <button class="btn primary" type="submit">${t('login.submit')}</button>
      </form>
    </section>`);
  const form = /** @type {HTMLFormElement} */ ($('#login-form', main));
  /** @type {HTMLInputElement} */ ($('#username', main)).focus();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { username, password } = formValues(form);
    const errorBox = /** @type {HTMLElement} */ ($('#login-error', main));
    errorBox.textContent = '';
    const button = /** @type {HTMLButtonElement} */ (form.querySelector('button'));
    button.disabled = true;
    try {
      const data = await api('/api/auth/login', { method: 'POST', body: { username, password }, auth: false });
      const owner = await getMeta('user_id');
      if (owner != null && owner !== data.user.id) {
        const { pending } = await outboxCounts();
        if (pending && !confirm(`${t('login.other_user', { name: previous?.display_name || '' })} ${t('settings.logout_pending', { n: pending })}`)) return;
        await clearUserData();
      }
      await setMeta('user_id', data.user.id);
      saveSession(data.token, { ...data.user, username }, data.expires_in);
      await signedIn();
      navigate(data.user.role === 'rep' ? '#/customers' : '#/pipeline');
    } catch (error) {
      errorBox.textContent = isNetworkError(error) ? t('login.offline')
        : error instanceof ApiError ? error.message : t('error.generic');
    } finally {
      button.disabled = false;
    }
  });
}
