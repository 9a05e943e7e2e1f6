// Sync with the server (docs/SYNC.md): push the outbox, then always pull; on start, when
// the browser comes back online, every 60 s while visible, and soon after each local edit.

import { api, ApiError, isNetworkError } from './api.js';
import { transact, req, getMeta, setMeta, put, byIndex, onQuota } from './db.js';
import { device, pendingEntries, outboxCounts, restampAll, replaceDevice } from './outbox.js';
import { fromServer, rebase, stampsOf } from './records.js';
import { isCanonical, wallOf, format } from './hlc.js';
import { session } from './session.js';
import { t } from './i18n.js';
import { toast } from './dom.js';

const PUSH_BATCH = 200;
const PULL_LIMIT = 500;
const PERIOD_MS = 60_000;
const MAX_SKEW_MS = 5 * 60_000;
const CHILD_ENTITIES = ['contact', 'deal', 'activity', 'follow_up'];

/** What the status bar shows. */
export const status = {
  online: navigator.onLine,
  syncing: false,
  pending: 0,
  rejected: 0,
  /** @type {number|null} */ lastSynced: null,
  /** @type {string|null} */ error: null,
  /** @type {string|null} */ errorCode: null,
  quota: false,
  persisted: false,
  /** records received in the current pull (first sync progress) */
  progress: 0,
};

const events = new EventTarget();
/** 'status' on any status change; 'data' after records changed (detail: {entities}). */
export const onSync = (type, fn) => events.addEventListener(type, (e) => fn(/** @type {CustomEvent} */ (e).detail));
const emit = (type, detail = {}) => events.dispatchEvent(new CustomEvent(type, { detail }));

onQuota(() => { status.quota = true; emit('status'); });

/** @type {Promise<void>|null} */
let running = null;
let again = false;
let timer = 0;

/** Refresh counts (after a local edit) and sync soon if online. */
export async function changed() {
  Object.assign(status, await outboxCounts());
  emit('status');
  emit('data', { entities: ['local'] });
  requestSync(300);
}

/** Sync after `delay` ms (coalesces bursts of edits). */
export function requestSync(delay = 0) {
  clearTimeout(timer);
  timer = setTimeout(() => { syncNow().catch(() => {}); }, delay);
}

/** Push everything pending, then pull until up to date. Concurrent calls share one run. */
export function syncNow() {
  if (running) { again = true; return running; }
  running = (async () => {
    try {
      do {
        again = false;
        await cycle();
      } while (again);
    } finally {
      running = null;
    }
  })();
  return running;
}

async function cycle() {
  status.online = navigator.onLine;
  if (!session.token || session.expired) {
    status.errorCode = session.expired ? 'auth' : null;
    emit('status');
    return;
  }
  if (!status.online) { emit('status'); return; }
  status.syncing = true;
  status.error = null;
  status.errorCode = null;
  emit('status');
  try {
    const pushed = await pushAll();
    const pulled = await pullAll();
    if (pushed || pulled) await refreshConflicts();
    status.lastSynced = Date.now();
    await setMeta('last_synced', status.lastSynced);
    status.quota = false;
  } catch (error) {
    report(error);
  } finally {
    status.syncing = false;
    status.progress = 0;
    Object.assign(status, await outboxCounts().catch(() => ({})));
    emit('status');
  }
}

function report(error) {
  if (isNetworkError(error)) {
    status.online = false;
    status.errorCode = 'offline';
  } else if (error instanceof ApiError && error.status === 401) {
    status.errorCode = 'auth';
  } else if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
    status.errorCode = 'unavailable';
  } else if (error?.name === 'QuotaError') {
    status.quota = true;
    status.errorCode = 'quota';
  } else {
    status.errorCode = 'error';
    status.error = error?.message || String(error);
  }
}

/** Follow the server's clock when ours is off by more than 30 s (so stamps stay sane). */
async function adoptServerTime(serverMs) {
  if (typeof serverMs !== 'number') return;
  const skew = serverMs - Date.now();
  if (Math.abs(skew) > 30_000 || Math.abs(skew - device.offset) > 30_000) {
    device.offset = Math.abs(skew) > 30_000 ? skew : 0;
    await setMeta('clock_offset', device.offset);
  }
}

/** @returns {Promise<number>} changes accepted */
async function pushAll() {
  let accepted = 0;
  let replacedDevice = false;
  for (let round = 0; round < 1000; round++) {
    const batch = await pendingEntries(PUSH_BATCH);
    if (!batch.length) break;
    let response;
    try {
      response = await api('/sync/push', {
        method: 'POST',
        body: {
          device_id: device.id,
          changes: batch.map(({ op_id, entity, record_id, device_id, hlc, fields, record, base_versions }) => ({
            op_id, entity, record_id, device_id, hlc, fields, base_versions, ...(record ? { record } : {}),
          })),
        },
      });
    } catch (error) {
      if (error instanceof ApiError && error.status === 403 && session.user && !replacedDevice) {
        replacedDevice = true;
        // The device id is another user's (shared browser): take a new one and re-stamp.
        await replaceDevice(session.user.id);
        continue;
      }
      throw error;
    }
    await adoptServerTime(response.server_ms);
    const { applied, answered, future } = await applyPushResults(batch, response);
    accepted += applied;
    if (future.length) {
      if (round > 3) break; // the server keeps refusing our time: try again next cycle
      await resetClock(response.server_ms);
      await restampAll(future);
    }
    if (!answered) break; // a response without results: do not loop on it
  }
  return accepted;
}

/** After "hlc.future": forget our clock state and restart from the server's time. */
async function resetClock(serverMs) {
  if (typeof serverMs !== 'number' || !device.clock) return;
  device.offset = serverMs - Date.now();
  await setMeta('clock_offset', device.offset);
  device.clock.reset(serverMs);
  await setMeta(`hlc:${device.id}`, device.clock.lastText);
}

/**
 * Store push results: accepted → out of the outbox, server copy replaced; rejected → kept,
 * visible with the server's message. One transaction.
 */
async function applyPushResults(batch, response) {
  const bySeq = new Map(batch.map((e) => [e.op_id, e]));
  const results = Array.isArray(response?.results) ? response.results : [];
  const future = [];
  let applied = 0;
  let answered = 0;
  await transact(['records', 'outbox', 'conflicts'], 'readwrite', async (s) => {
    const touched = new Map();
    for (const result of results) {
      const entry = bySeq.get(result.op_id);
      if (!entry) continue;
      answered++;
      touched.set(`${entry.entity}|${entry.record_id}`, [entry.entity, entry.record_id]);
      if (result.status === 'applied' || result.status === 'duplicate') {
        applied++;
        await req(s.outbox.delete(entry.seq));
        if (result.record) {
          const existing = await req(s.records.get([result.record.entity, result.record.id]));
          await req(s.records.put(fromServer(result.record, existing)));
        }
      } else if (result.code === 'hlc.future') {
        future.push(entry.seq);
      } else {
        await req(s.outbox.put({
          ...entry,
          status: 'rejected',
          error: {
            code: result.code || 'rejected',
            message: result.message || '',
            http_status: result.http_status,
            errors: Array.isArray(result.errors) ? result.errors : [],
          },
        }));
      }
    }
    for (const conflict of response?.conflicts || []) {
      if (conflict && conflict.id != null) await req(s.conflicts.put(conflict));
    }
    for (const [entity, id] of touched.values()) {
      const record = await req(s.records.get([entity, id]));
      if (!record) continue;
      const entries = await req(s.outbox.index('record').getAll(id));
      if (!record.server && !entries.length) await req(s.records.delete([entity, id]));
      else await req(s.records.put(rebase(record, entries)));
    }
  });
  Object.assign(status, await outboxCounts());
  emit('status');
  if (results.length) emit('data', { entities: [...new Set(batch.map((e) => e.entity))] });
  return { applied, answered, future };
}

/** @returns {Promise<number>} records received */
async function pullAll() {
  let cursor = (await getMeta('cursor', 0)) || 0;
  let total = 0;
  const entities = new Set();
  for (let page = 0; page < 100000; page++) {
    const data = await api('/sync/pull', { query: { cursor, limit: PULL_LIMIT } });
    await adoptServerTime(data.server_ms);
    const records = Array.isArray(data.records) ? data.records : [];
    const removed = Array.isArray(data.removed) ? data.removed : [];
    await storePulled(records, removed, data.cursor ?? cursor, data.server_ms);
    records.forEach((r) => entities.add(r.entity));
    removed.forEach((r) => entities.add(r.entity));
    total += records.length + removed.length;
    status.progress = total;
    if (total > records.length) emit('status');
    cursor = data.cursor ?? cursor;
    if (!data.more || !records.length && !removed.length) break;
  }
  if (total) emit('data', { entities: [...entities] });
  return total;
}

/** One page of a pull, in one transaction with its cursor: merged under pending local edits. */
async function storePulled(records, removed, cursor, serverMs) {
  let newest = '';
  await transact(['records', 'outbox', 'meta'], 'readwrite', async (s) => {
    for (const remote of records) {
      if (!remote?.entity || !remote.id) continue;
      const existing = await req(s.records.get([remote.entity, remote.id]));
      const entries = await req(s.outbox.index('record').getAll(remote.id));
      await req(s.records.put(rebase(fromServer(remote, existing), entries)));
      for (const version of stampsOf(remote.versions)) if (version > newest) newest = version;
    }
    for (const gone of removed) {
      await req(s.records.delete([gone.entity, gone.id]));
      if (gone.entity === 'customer') {
        const children = await req(s.records.index('customer').getAll(gone.id));
        for (const child of children) {
          if (CHILD_ENTITIES.includes(child.entity)) await req(s.records.delete([child.entity, child.id]));
        }
      }
    }
    await req(s.meta.put({ key: 'cursor', value: cursor }));
  });
  // Keep our clock ahead of everything we have seen (bounded: never adopt a poisoned stamp).
  if (newest && isCanonical(newest) && device.clock) {
    const limit = (typeof serverMs === 'number' ? serverMs : Date.now()) + MAX_SKEW_MS;
    if (wallOf(newest) <= limit && newest > device.clock.lastText) {
      device.clock.receive(newest);
      await setMeta(`hlc:${device.id}`, format(device.clock.last));
    }
  }
}

/** Conflicts involving this user, kept for offline display on record pages. */
async function refreshConflicts() {
  try {
    const list = await api('/sync/conflicts');
    const items = Array.isArray(list) ? list : list?.items || [];
    await transact(['conflicts'], 'readwrite', async (s) => {
      await req(s.conflicts.clear());
      for (const c of items) if (c && c.id != null) await req(s.conflicts.put(c));
    });
    if (items.length) emit('data', { entities: ['conflict'] });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
}

/** Conflicts of one record: from the server when online (cached), else the stored ones. */
export async function conflictsFor(recordId) {
  if (navigator.onLine && session.token && !session.expired) {
    try {
      const list = await api('/sync/conflicts', { query: { record_id: recordId } });
      const items = Array.isArray(list) ? list : list?.items || [];
      await transact(['conflicts'], 'readwrite', async (s) => {
        for (const c of items) if (c && c.id != null) await req(s.conflicts.put(c));
      });
      return items;
    } catch { /* fall back to the stored copy */ }
  }
  return byIndex('conflicts', 'record', recordId);
}

/** Start the triggers: app start, back online, every minute while visible. */
export async function startSync() {
  status.lastSynced = await getMeta('last_synced');
  Object.assign(status, await outboxCounts());
  window.addEventListener('online', () => { status.online = true; emit('status'); syncNow(); });
  window.addEventListener('offline', () => { status.online = false; emit('status'); });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') syncNow();
  });
  setInterval(() => {
    if (document.visibilityState === 'visible') syncNow();
  }, PERIOD_MS);
  if (navigator.storage?.persist) {
    try {
      status.persisted = (await navigator.storage.persisted()) || (await navigator.storage.persist());
    } catch { status.persisted = false; }
  }
  emit('status');
  syncNow();
}

/** Cache an online-only response (360° extras, analytics) for offline viewing. */
export const cachePut = (key, value) => put('cache', { key, value, at: Date.now() }).catch(() => {});

/**
 * Run a local save; on failure tell the user why (a full disk above all) and resolve false.
 * @param {() => Promise<any>} work
 */
export async function guardedSave(work) {
  try {
    await work();
    return true;
  } catch (error) {
    console.error(error);
    if (error?.name === 'QuotaError') {
      status.quota = true;
      emit('status');
      toast(t('sync.quota'), 'error');
    } else {
      toast(`${t('error.generic')} ${error?.message || ''}`, 'error');
    }
    return false;
  }
}
