// Local records: the server's copy (as last pulled or pushed) plus this device's unsent
// changes replayed on top. Pure functions; db access lives in outbox.js and sync.js.

/**
 * @typedef {{op: 'set', value: any} | {op: 'update_set', add: string[], remove: string[]}} FieldOp
 * @typedef {{values: Record<string, any>, versions: Record<string, string>, deleted: boolean, seq?: number}} ServerCopy
 * @typedef {{seq: number, op_id: string, entity: string, record_id: string, device_id: string,
 *   hlc: string, fields: Record<string, FieldOp>, record?: {op: string, length: number},
 *   base_versions: Record<string, string>, status: 'pending'|'rejected', created_at: number,
 *   error?: {code: string, message: string, errors: {field: string, code: string, message: string}[]}}} OutboxEntry
 * @typedef {{entity: string, id: string, customer_id: string|null, server: ServerCopy|null,
 *   values: Record<string, any>, deleted: boolean, owner_id?: number|null, owner_name?: string|null,
 *   pending: number, rejected: number, extra?: Record<string, any>}} LocalRecord
 */

/** Apply one change's field ops to `values` (copied). @returns {Record<string, any>} */
export function applyFields(values, fields) {
  const out = { ...values };
  for (const [name, op] of Object.entries(fields || {})) {
    if (op.op === 'set') {
      out[name] = op.value;
    } else if (op.op === 'update_set') {
      const set = new Set(out[name] || []);
      for (const tag of op.add || []) set.add(tag);
      for (const tag of op.remove || []) set.delete(tag);
      out[name] = [...set].sort();
    }
  }
  return out;
}

/**
 * Recompute a record's visible state: server copy + pending (not rejected) entries, in order.
 * @param {LocalRecord} record
 * @param {OutboxEntry[]} entries this record's outbox entries
 * @returns {LocalRecord}
 */
export function rebase(record, entries) {
  const mine = entries
    .filter((e) => e.entity === record.entity && e.record_id === record.id)
    .sort((a, b) => a.seq - b.seq);
  let values = { ...(record.server?.values || {}) };
  let deleted = record.server ? !!record.server.deleted : false;
  let pending = 0;
  let rejected = 0;
  for (const entry of mine) {
    if (entry.status === 'rejected') { rejected++; continue; }
    pending++;
    values = applyFields(values, entry.fields);
    if (entry.record) deleted = entry.record.op === 'delete';
  }
  if (!record.server && pending === 0) {
    // Never accepted by the server: show what the user tried, flagged as rejected.
    for (const entry of mine) values = applyFields(values, entry.fields);
  }
  return {
    ...record,
    values,
    deleted,
    customer_id: record.entity === 'customer' ? record.id : values.customer_id ?? null,
    pending,
    rejected,
  };
}

/** A record built from a pull/push result, keeping local-only bits of `existing`. */
export function fromServer(remote, existing) {
  /** @type {LocalRecord} */
  const record = {
    entity: remote.entity,
    id: remote.id,
    customer_id: null,
    server: {
      values: remote.values || {},
      versions: remote.versions || {},
      deleted: !!remote.deleted,
      seq: remote.seq ?? existing?.server?.seq,
    },
    values: {},
    deleted: !!remote.deleted,
    owner_id: remote.owner_id ?? existing?.owner_id ?? null,
    owner_name: remote.owner_name ?? existing?.owner_name ?? null,
    pending: 0,
    rejected: 0,
    extra: { ...(existing?.extra || {}), ...pick(remote, ['last_contact_at', 'author_name', 'customer_name']) },
  };
  return record;
}

function pick(obj, keys) {
  const out = {};
  for (const key of keys) if (obj[key] !== undefined) out[key] = obj[key];
  return out;
}

/**
 * Turn a form's new values into field ops against the record's current values: only changed
 * fields, sets as add/remove.
 * @param {Record<string, any>} current
 * @param {Record<string, any>} next
 * @param {string[]} setFields
 * @returns {Record<string, FieldOp>}
 */
export function diffFields(current, next, setFields = ['tags']) {
  /** @type {Record<string, FieldOp>} */
  const ops = {};
  for (const [name, value] of Object.entries(next)) {
    if (setFields.includes(name)) {
      const before = new Set(current[name] || []);
      const after = new Set(value || []);
      const add = [...after].filter((t) => !before.has(t));
      const remove = [...before].filter((t) => !after.has(t));
      if (add.length || remove.length) ops[name] = { op: 'update_set', add, remove };
    } else if (!same(current[name], value)) {
      ops[name] = { op: 'set', value };
    }
  }
  return ops;
}

function same(a, b) {
  const empty = (v) => v === undefined || v === null || v === '';
  if (empty(a) && empty(b)) return true;
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

/**
 * The HLC of a last-writer-wins field in a record's `versions`: the server sends
 * {"cl": n, "f": {field: [hlc, actor?], set_field: {element: [hlc, present]}}}; a flat
 * {field: hlc} map (as docs/SYNC.md sketches it) is read too.
 * @returns {string|null}
 */
export function fieldVersion(versions, name) {
  if (!versions) return null;
  if (typeof versions[name] === 'string') return versions[name];
  const meta = versions.f?.[name];
  return Array.isArray(meta) && typeof meta[0] === 'string' ? meta[0] : null;
}

/** Every HLC stamp in `versions` (to keep our clock ahead of what we have seen). */
export function stampsOf(versions) {
  /** @type {string[]} */
  const out = [];
  const visit = (value) => {
    if (typeof value === 'string') { if (/^\d{13}:\d{5}:/.test(value)) out.push(value); }
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(versions);
  return out;
}
