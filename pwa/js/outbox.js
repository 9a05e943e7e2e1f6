// The outbox: every local edit becomes a change (op id + HLC) stored next to the optimistic
// record in one transaction, so a crash can never keep one without the other.

import { transact, req, getMeta, setMeta, byIndex, getAll } from './db.js';
import { HybridClock, newDeviceId, isCanonical } from './hlc.js';
import { rebase, diffFields, fieldVersion } from './records.js';

/** @typedef {import('./records.js').OutboxEntry} OutboxEntry */
/** @typedef {import('./records.js').LocalRecord} LocalRecord */

/** The device's clock; physical time = Date.now() + offset (set when the server says we run ahead). */
export const device = {
  id: '',
  offset: 0,
  /** @type {HybridClock|null} */
  clock: null,
};

/** Load (or make) this browser's device id for `userId`: a device id belongs to one user. */
export async function initDevice(userId) {
  const key = `device:${userId}`;
  let id = await getMeta(key);
  if (!id) {
    id = newDeviceId();
    await setMeta(key, id);
  }
  device.id = id;
  device.offset = (await getMeta('clock_offset', 0)) || 0;
  device.clock = new HybridClock(id, () => Date.now() + device.offset, await getMeta(`hlc:${id}`));
  return id;
}

/** A new device id for `userId` (the server refused the old one as another user's). */
export async function replaceDevice(userId) {
  await setMeta(`device:${userId}`, newDeviceId());
  const id = await initDevice(userId);
  await restampAll();
  return id;
}

/** Stamp inside a transaction: re-read the persisted clock so two tabs never go backwards. */
async function stamp(meta) {
  const clock = /** @type {HybridClock} */ (device.clock);
  const persisted = (await req(meta.get(`hlc:${device.id}`)))?.value;
  if (isCanonical(persisted) && persisted > clock.lastText) clock.receive(persisted);
  const hlc = clock.now();
  const seq = ((await req(meta.get(`opseq:${device.id}`)))?.value || 0) + 1;
  await req(meta.put({ key: `hlc:${device.id}`, value: hlc }));
  await req(meta.put({ key: `opseq:${device.id}`, value: seq }));
  return { hlc, seq, op_id: `${device.id}:${seq}` };
}

/**
 * Record a local edit of one record: store the change in the outbox and the optimistic record.
 * @param {string} entity
 * @param {string} id
 * @param {Record<string, any>} next new field values (only changed ones are sent)
 * @param {{create?: boolean, owner?: {id: number, name: string}}} [options]
 * @returns {Promise<LocalRecord|null>} the updated record, or null when nothing changed
 */
export async function saveChange(entity, id, next, options = {}) {
  return transact(['records', 'outbox', 'meta'], 'readwrite', async (s) => {
    /** @type {LocalRecord|undefined} */
    const existing = await req(s.records.get([entity, id]));
    const current = existing ? existing.values : {};
    const fields = diffFields(current, next);
    if (!Object.keys(fields).length) return existing || null;
    const { hlc, seq, op_id } = await stamp(s.meta);
    /** @type {Record<string, string>} */
    const base = {};
    for (const [name, op] of Object.entries(fields)) {
      const seen = op.op === 'set' ? fieldVersion(existing?.server?.versions, name) : null;
      if (seen) base[name] = seen;
    }
    /** @type {OutboxEntry} */
    const entry = {
      seq, op_id, entity, record_id: id, device_id: device.id, hlc, fields,
      base_versions: base, status: 'pending', created_at: Date.now(),
    };
    await req(s.outbox.put(entry));
    const entries = await req(s.outbox.index('record').getAll(id));
    const record = rebase(existing || {
      entity, id, customer_id: null, server: null, values: {}, deleted: false,
      owner_id: options.owner?.id ?? null, owner_name: options.owner?.name ?? null,
      pending: 0, rejected: 0, extra: {},
    }, entries);
    await req(s.records.put(record));
    return record;
  });
}

/** Entries waiting to be sent, oldest first. @returns {Promise<OutboxEntry[]>} */
export async function pendingEntries(limit = Infinity) {
  const all = /** @type {OutboxEntry[]} */ (await getAll('outbox'));
  return all.filter((e) => e.status === 'pending').sort((a, b) => a.seq - b.seq).slice(0, limit);
}

/** @returns {Promise<{pending: number, rejected: number}>} */
export async function outboxCounts() {
  const all = /** @type {OutboxEntry[]} */ (await getAll('outbox'));
  const rejected = all.filter((e) => e.status === 'rejected').length;
  return { pending: all.length - rejected, rejected };
}

/** Rejected entries of one record (or all). */
export async function rejectedEntries(recordId = null) {
  const all = /** @type {OutboxEntry[]} */ (recordId ? await byIndex('outbox', 'record', recordId) : await getAll('outbox'));
  return all.filter((e) => e.status === 'rejected').sort((a, b) => a.seq - b.seq);
}

/** Drop a rejected change; the record shows the server's value again. */
export async function discardEntry(seq) {
  await transact(['records', 'outbox'], 'readwrite', async (s) => {
    const entry = await req(s.outbox.get(seq));
    if (!entry) return;
    await req(s.outbox.delete(seq));
    await refreshRecord(s, entry.entity, entry.record_id);
  });
}

/** Re-read a record's outbox entries and recompute it (drops never-synced records with none). */
export async function refreshRecord(s, entity, id) {
  const existing = await req(s.records.get([entity, id]));
  if (!existing) return null;
  const entries = await req(s.outbox.index('record').getAll(id));
  if (!existing.server && !entries.some((e) => e.entity === entity)) {
    await req(s.records.delete([entity, id]));
    return null;
  }
  const record = rebase(existing, entries);
  await req(s.records.put(record));
  return record;
}

/**
 * Give unsent entries fresh stamps and op ids (after "hlc.future" or a new device id): they
 * were never stored anywhere, so re-stamping is safe. `only` limits it to some entries.
 * @param {number[]|null} only outbox seqs
 */
export async function restampAll(only = null) {
  await transact(['outbox', 'meta'], 'readwrite', async (s) => {
    const all = /** @type {OutboxEntry[]} */ (await req(s.outbox.getAll()));
    const targets = all.filter((e) => (only ? only.includes(e.seq) : e.status === 'pending'))
      .sort((a, b) => a.seq - b.seq);
    for (const entry of targets) {
      const { hlc, seq, op_id } = await stamp(s.meta);
      await req(s.outbox.delete(entry.seq));
      await req(s.outbox.put({ ...entry, seq, op_id, hlc, device_id: device.id, status: 'pending', error: undefined }));
    }
  });
}

/** Retry a rejected entry with new values for its fields (the user fixed them). */
export async function retryEntry(seq, values) {
  const entry = /** @type {OutboxEntry|undefined} */ (await transact(['outbox'], 'readonly', (s) => req(s.outbox.get(seq))));
  if (!entry) return null;
  await discardEntry(seq);
  return saveChange(entry.entity, entry.record_id, values);
}
