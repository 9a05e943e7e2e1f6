// Read side of the local store: the queries screens need, over IndexedDB records.

import { get, byIndex } from './db.js';
import { cleanText } from './validate.js';

/** @typedef {import('./records.js').LocalRecord} LocalRecord */

/** @returns {Promise<LocalRecord|undefined>} */
export const getRecord = (entity, id) => get('records', [entity, id]);

/** Live (not deleted) records of one entity. @returns {Promise<LocalRecord[]>} */
export async function allOf(entity) {
  const rows = /** @type {LocalRecord[]} */ (await byIndex('records', 'entity', entity));
  return rows.filter((r) => !r.deleted);
}

/** Contacts, deals, activities and follow-ups of a customer, by entity. */
export async function childrenOf(customerId) {
  const rows = /** @type {LocalRecord[]} */ (await byIndex('records', 'customer', customerId));
  /** @type {Record<string, LocalRecord[]>} */
  const out = { contact: [], deal: [], activity: [], follow_up: [] };
  for (const row of rows) if (!row.deleted && out[row.entity]) out[row.entity].push(row);
  out.activity.sort((a, b) => String(b.values.occurred_at).localeCompare(String(a.values.occurred_at)));
  out.follow_up.sort((a, b) => String(a.values.due_at).localeCompare(String(b.values.due_at)));
  out.contact.sort((a, b) => Number(!!b.values.is_primary) - Number(!!a.values.is_primary));
  return out;
}

/** Search key: cleaned, case-folded, no spaces. */
export const searchKey = (text) => cleanText(text).toLowerCase().replace(/\s+/g, '');

/**
 * Customers matching a search and filters, by name.
 * @param {{q?: string, grade?: string, lifecycle?: string, owner?: string}} filter
 */
export async function findCustomers(filter = {}) {
  const all = await allOf('customer');
  const q = searchKey(filter.q || '');
  const digits = (filter.q || '').replace(/\D/g, '');
  const list = all.filter((c) => {
    const v = c.values;
    if (filter.grade && v.grade !== filter.grade) return false;
    if (filter.lifecycle && v.lifecycle !== filter.lifecycle) return false;
    if (filter.owner && String(c.owner_id) !== String(filter.owner)) return false;
    if (!q) return true;
    if (searchKey(v.name || '').includes(q)) return true;
    if (v.email && v.email.includes(q)) return true;
    if (digits.length >= 3 && (v.phone || '').replace(/\D/g, '').includes(digits)) return true;
    return (v.tags || []).some((t) => searchKey(t).includes(q));
  });
  const collator = new Intl.Collator(['zh-CN', 'en']);
  return list.sort((a, b) => collator.compare(a.values.name || '', b.values.name || ''));
}

/** customer id → ISO time of the latest activity on this device. */
export async function lastContacts() {
  /** @type {Map<string, string>} */
  const map = new Map();
  for (const customer of await allOf('customer')) {
    if (customer.extra?.last_contact_at) map.set(customer.id, customer.extra.last_contact_at);
  }
  for (const activity of await allOf('activity')) {
    const id = activity.values.customer_id;
    const at = activity.values.occurred_at;
    if (id && at && (!map.has(id) || new Date(at) > new Date(/** @type {string} */ (map.get(id))))) map.set(id, at);
  }
  return map;
}

/** Owners seen on this device: [{id, name}] (for a manager's filters). */
export async function ownersOf(records) {
  const map = new Map();
  for (const r of records) if (r.owner_id != null) map.set(r.owner_id, r.owner_name || `#${r.owner_id}`);
  const collator = new Intl.Collator(['zh-CN', 'en']);
  return [...map].map(([id, name]) => ({ id, name })).sort((a, b) => collator.compare(a.name, b.name));
}

/** The local day [start, end) containing `now`. */
export function dayBounds(now = new Date()) {
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  return [start, new Date(start.getTime() + 86400000)];
}
