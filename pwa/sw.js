// FieldCRM service worker: keeps the app shell (HTML, CSS, JS modules, icons) in a versioned
// cache so the app starts offline; shows web-push notifications and opens the app on click.
// Data never goes through here: it lives in IndexedDB and moves by sync (docs/SYNC.md).
// VERSION and SHELL are written by `python -m tests.browser.shell --write` (a test checks them).

const VERSION = 'shell-5aed43dc83b6';
const SHELL = [
  '/app/css/app.css',
  '/app/icons/icon-192.png',
  '/app/icons/icon.svg',
  '/',
  '/app/js/api.js',
  '/app/js/charts.js',
  '/app/js/db.js',
  '/app/js/deals.js',
  '/app/js/dom.js',
  '/app/js/hlc.js',
  '/app/js/i18n.js',
  '/app/js/main.js',
  '/app/js/outbox.js',
  '/app/js/push.js',
  '/app/js/records.js',
  '/app/js/refdata.js',
  '/app/js/session.js',
  '/app/js/store.js',
  '/app/js/sync.js',
  '/app/js/validate.js',
  '/app/js/views/analytics.js',
  '/app/js/views/customer-form.js',
  '/app/js/views/customer.js',
  '/app/js/views/customers.js',
  '/app/js/views/followups.js',
  '/app/js/views/login.js',
  '/app/js/views/pipeline.js',
  '/app/js/views/settings.js',
  '/app/js/views/visit.js',
  '/manifest.webmanifest',
];

const CACHE = `fieldcrm-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('fieldcrm-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // API and sync calls always go to the network; the app handles being offline.
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/sync/') || url.pathname.startsWith('/schema')) return;
  if (request.mode === 'navigate' && url.pathname === '/') {
    // Every page of the app is "/" plus a #route: serve the cached shell.
    event.respondWith((async () => {
      const cache = await caches.open(CACHE);
      const cached = await cache.match('/');
      if (cached) return cached;
      return fetch(request);
    })());
    return;
  }
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const cached = await cache.match(request, { ignoreSearch: true });
    if (cached) return cached;
    const response = await fetch(request);
    if (response.ok && url.pathname.startsWith('/app/')) cache.put(request, response.clone());
    return response;
  })());
});

self.addEventListener('push', (event) => {
  /** @type {{title?: string, body?: string, tag?: string, data?: Record<string, any>}} */
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = { body: event.data ? event.data.text() : '' };
  }
  event.waitUntil(self.registration.showNotification(payload.title || 'FieldCRM', {
    body: payload.body || '',
    tag: payload.tag,
    data: payload.data || {},
    icon: '/app/icons/icon-192.png',
    badge: '/app/icons/icon-192.png',
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  // Notifications carry the app path to open (`link`, e.g. /customers/<id>); reminders their customer.
  const link = typeof data.link === 'string' && /^\/(?!\/)/.test(data.link) ? data.link : null;
  const hash = link ? `#${link}` : data.customer_id ? `#/customers/${data.customer_id}` : '#/followups';
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const client of windows) {
      if (new URL(client.url).origin === self.location.origin) {
        await client.focus();
        client.postMessage({ type: 'navigate', hash });
        return;
      }
    }
    await self.clients.openWindow(`/${hash}`);
  })());
});
