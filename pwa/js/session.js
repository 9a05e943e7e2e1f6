// The signed-in user, kept in localStorage so the app opens offline without a new login.

const KEY = 'fieldcrm.session';

/** @typedef {{id: number, role: 'admin'|'manager'|'rep', team_id: number|null, display_name: string, locale: string}} User */

export const session = {
  /** @type {string} */ token: '',
  /** @type {User|null} */ user: null,
  /** @type {number} */ expires: 0,
  /** The token was refused (expired): data stays, the user signs in again to sync. */
  expired: false,
};

export function loadSession() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || 'null');
    if (saved?.user) Object.assign(session, saved, { expired: !!saved.expired });
  } catch { /* corrupted: treat as signed out */ }
  return session;
}

export function saveSession(token, user, expiresIn) {
  Object.assign(session, { token, user, expires: Date.now() + (expiresIn || 0) * 1000, expired: false });
  persist();
}

export function markExpired() {
  session.expired = true;
  persist();
}

export function clearSession() {
  Object.assign(session, { token: '', user: null, expires: 0, expired: false });
  localStorage.removeItem(KEY);
}

function persist() {
  localStorage.setItem(KEY, JSON.stringify({
    token: session.token, user: session.user, expires: session.expires, expired: session.expired,
  }));
}

export const isManager = () => session.user?.role === 'manager' || session.user?.role === 'admin';
