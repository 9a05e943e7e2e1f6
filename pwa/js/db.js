// The offline store: one IndexedDB database with promise helpers. Every write path goes
// through `transact`, which turns a full disk into a QuotaError the UI can explain.

const DB_NAME = 'fieldcrm';
const DB_VERSION = 1;

/** Stores:
 * records   {entity, id, customer_id, server, values, deleted, owner_id, owner_name, pending}
 * outbox    {seq, op_id, entity, record_id, hlc, fields, record, base_versions, status, error}
 * meta      {key, value}
 * conflicts {id, entity, record_id, field, loser, winner, at}
 * cache     {key, value, at}   online-only extras kept for offline viewing
 */
export const STORES = ['records', 'outbox', 'meta', 'conflicts', 'cache'];

export class QuotaError extends Error {
  constructor(cause) {
    super('quota');
    this.name = 'QuotaError';
    this.cause = cause;
  }
}

/** @type {Promise<IDBDatabase>|null} */
let opening = null;

/** @returns {Promise<IDBDatabase>} */
export function open() {
  if (opening) return opening;
  opening = new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      const records = db.createObjectStore('records', { keyPath: ['entity', 'id'] });
      records.createIndex('entity', 'entity');
      records.createIndex('customer', 'customer_id');
      const outbox = db.createObjectStore('outbox', { keyPath: 'seq' });
      outbox.createIndex('record', 'record_id');
      db.createObjectStore('meta', { keyPath: 'key' });
      db.createObjectStore('conflicts', { keyPath: 'id' }).createIndex('record', 'record_id');
      db.createObjectStore('cache', { keyPath: 'key' });
    };
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => { db.close(); opening = null; };
      resolve(db);
    };
    request.onerror = () => { opening = null; reject(request.error); };
    request.onblocked = () => console.warn('IndexedDB upgrade blocked by another tab');
  });
  return opening;
}

/** @template T @param {IDBRequest<T>} request @returns {Promise<T>} */
export function req(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function isQuota(error) {
  return !!error && (error.name === 'QuotaExceededError' || error.code === 22 ||
    /quota/i.test(String(error.message || '')));
}

/** Listeners told about a full disk (the status bar shows it). */
const quotaListeners = new Set();
/** @param {(error: QuotaError) => void} fn */
export const onQuota = (fn) => quotaListeners.add(fn);

function wrap(error) {
  if (error instanceof QuotaError) return error;
  if (isQuota(error) || isQuota(error?.cause)) {
    const quota = new QuotaError(error);
    quotaListeners.forEach((fn) => fn(quota));
    return quota;
  }
  return error;
}

/**
 * Run `work(stores)` in one transaction; resolves with its result after commit.
 * Inside `work` only await IndexedDB requests (via `req`), or the transaction closes.
 * @template T
 * @param {string[]} names
 * @param {IDBTransactionMode} mode
 * @param {(stores: Record<string, IDBObjectStore>, tx: IDBTransaction) => Promise<T>|T} work
 * @returns {Promise<T>}
 */
export async function transact(names, mode, work) {
  const db = await open();
  let tx;
  try {
    tx = db.transaction(names, mode);
  } catch (error) {
    throw wrap(error);
  }
  const done = new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new DOMException('Transaction aborted', 'AbortError'));
  });
  /** @type {Record<string, IDBObjectStore>} */
  const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
  let result;
  try {
    result = await work(stores, tx);
  } catch (error) {
    try { tx.abort(); } catch { /* already finished */ }
    await done.catch(() => {});
    throw wrap(error);
  }
  try {
    await done;
  } catch (error) {
    throw wrap(error);
  }
  return result;
}

export const get = (store, key) => transact([store], 'readonly', (s) => req(s[store].get(key)));
export const getAll = (store) => transact([store], 'readonly', (s) => req(s[store].getAll()));
export const put = (store, value) => transact([store], 'readwrite', (s) => req(s[store].put(value)));
export const del = (store, key) => transact([store], 'readwrite', (s) => req(s[store].delete(key)));
export const count = (store) => transact([store], 'readonly', (s) => req(s[store].count()));

/** All values of an index equal to `key`. */
export const byIndex = (store, index, key) =>
  transact([store], 'readonly', (s) => req(s[store].index(index).getAll(key)));

export async function getMeta(key, fallback = null) {
  const row = await get('meta', key);
  return row ? row.value : fallback;
}
export const setMeta = (key, value) => put('meta', { key, value });

/** Wipe the user's data (a different user signs in on this device). Keeps device ids. */
export async function clearUserData() {
  await transact(['records', 'outbox', 'conflicts', 'cache', 'meta'], 'readwrite', async (s) => {
    await req(s.records.clear());
    await req(s.outbox.clear());
    await req(s.conflicts.clear());
    await req(s.cache.clear());
    for (const key of ['cursor', 'last_synced', 'user_id']) await req(s.meta.delete(key));
  });
}
