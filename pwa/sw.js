// app shell service worker (placeholder until the PWA issue)
