"""Back online → outbox empty: queue N edits offline in a signed-in page, reconnect, and
time (in the page) until the outbox is empty and until the sync that followed is done."""

from __future__ import annotations

from typing import Any

QUEUE_EDITS = """async ({ n, tag }) => {
  const { allOf } = await import('/app/js/store.js');
  const { saveChange } = await import('/app/js/outbox.js');
  const { changed, status, onSync } = await import('/app/js/sync.js');
  const customers = (await allOf('customer')).slice(0, 20);
  for (let i = 0; i < n; i++) {
    const c = customers[i % customers.length];
    await saveChange('customer', c.id, { notes: `${tag} #${i}` });
  }
  await changed();
  // Armed before reconnecting: times from the 'online' event to an empty outbox, and to the
  // end of that sync (its pull included).
  window.__drain = new Promise((resolve) => {
    window.addEventListener('online', () => {
      const start = performance.now();
      let emptied = null;
      onSync('status', () => {
        if (emptied === null && status.pending === 0) emptied = performance.now() - start;
        if (emptied !== null && !status.syncing) {
          resolve({ emptied, synced: performance.now() - start });
        }
      });
    }, { once: true });
  });
  return { pending: status.pending, customers: customers.map((c) => c.id) };
}"""


def queue_edits(page: Any, n: int, tag: str) -> dict[str, Any]:
    """Queue `n` note edits (round-robin over up to 20 customers) while offline."""
    return page.evaluate(QUEUE_EDITS, {"n": n, "tag": tag})


def drain(context: Any, page: Any) -> dict[str, float]:
    """Reconnect and return {"emptied": ms, "synced": ms} measured in the page."""
    context.set_offline(False)
    return page.evaluate("window.__drain")
