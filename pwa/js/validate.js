// Client-side mirror of the server's customer rules (server/domain/customers.py and
// normalize.py): same field codes, so a form shows the same error before saving, offline
// too. The server stays the authority; whatever it still refuses comes back from sync.

import { GRADES, KINDS, LIFECYCLES, SIZES, MAX_TAGS, PHONE_LENGTHS, REGIONS, INDUSTRIES } from './refdata.js';

/** @typedef {{code: string, params?: Record<string, any>}} FieldProblem */

const INVISIBLE = /[\u200b\u200c\u2060\ufeff\u00ad]/g;

/** Full-width → half-width, invisible characters dropped, whitespace runs → one space. */
export function cleanText(value) {
  return String(value ?? '').replace(INVISIBLE, '').replace(/[\u0000-\u001f\u007f]/g, ' ')
    .normalize('NFKC').split(/\s+/).filter(Boolean).join(' ');
}

class Invalid extends Error {
  constructor(code, params = {}) { super(code); this.code = code; this.params = params; }
}

// ---- phone ----------------------------------------------------------------------------------

const EXTENSION = /\s*(?:ext\.?|extension|x|#|转|分机)\s*\d{1,6}$/i;
// China: mobile 1[3-9]x…; landline: area 10/2x + 8 digits, or a 3-digit area + 7–8 digits
// (subscriber numbers start 2–9); 400/800 service numbers.
const CN_MOBILE = /^1[3-9]\d{9}$/;
const CN_LANDLINE = /^(?:(?:10|2\d)[2-9]\d{7}|[3-9]\d{2}[2-9]\d{6,7})$/;
const CN_SERVICE = /^[48]00\d{7}$/;
const NANP = /^[2-9]\d{2}[2-9]\d{6}$/;

/** Is `national` (digits, no trunk 0) a valid number of country `cc`? */
function validNational(cc, national) {
  if (cc === '86') return CN_MOBILE.test(national) || CN_LANDLINE.test(national) || CN_SERVICE.test(national);
  if (cc === '1') return NANP.test(national);
  const lengths = PHONE_LENGTHS[cc];
  return !!lengths && lengths.includes(national.length) && /^[1-9]/.test(national);
}

/** Split "+<cc><national>" digits into [cc, national] using the known calling codes. */
function splitCountry(digits) {
  for (const len of [1, 2, 3]) {
    const cc = digits.slice(0, len);
    if (PHONE_LENGTHS[cc]) return [cc, digits.slice(len)];
  }
  return null;
}

/**
 * Any common way of writing a number → E.164; numbers without a country code are Chinese.
 * @returns {string} "+8613800138000"
 * @throws {Invalid} phone.invalid
 */
export function normalizePhone(raw) {
  let text = cleanText(raw).replace(EXTENSION, '');
  if (!/^[+\d\s().\-/]+$/.test(text)) throw new Invalid('phone.invalid');
  const international = text.startsWith('+') || /^00[1-9]/.test(text.replace(/\D/g, ''));
  let digits = text.replace(/\D/g, '');
  if (international) {
    if (!text.startsWith('+')) digits = digits.slice(2);
    const parts = splitCountry(digits);
    if (!parts) throw new Invalid('phone.invalid');
    const [cc, national] = parts;
    const local = cc === '86' ? national.replace(/^0/, '') : national;
    if (!validNational(cc, local)) throw new Invalid('phone.invalid');
    return `+${cc}${local}`;
  }
  if (/^86\d{11}$/.test(digits) && CN_MOBILE.test(digits.slice(2))) digits = digits.slice(2);
  const national = digits.replace(/^0/, '');
  if (!validNational('86', national)) throw new Invalid('phone.invalid');
  return `+86${national}`;
}

/** E.164 → "138 0013 8000" / "010 6552 9988" at home, "+1 6502530000"-ish abroad. */
export function formatPhone(e164) {
  if (!e164 || !e164.startsWith('+')) return e164 || '';
  if (e164.startsWith('+86')) {
    const n = e164.slice(3);
    if (CN_MOBILE.test(n)) return `${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}`;
    if (CN_SERVICE.test(n)) return `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`;
    const area = /^(10|2\d)/.test(n) ? n.slice(0, 2) : n.slice(0, 3);
    const rest = n.slice(area.length);
    return `0${area} ${rest.slice(0, rest.length - 4)} ${rest.slice(-4)}`;
  }
  if (e164.startsWith('+1') && e164.length === 12) {
    return `+1 ${e164.slice(2, 5)}-${e164.slice(5, 8)}-${e164.slice(8)}`;
  }
  const parts = splitCountry(e164.slice(1));
  return parts ? `+${parts[0]} ${parts[1]}` : e164;
}

// ---- email ----------------------------------------------------------------------------------

const LOCAL = /^[\p{L}\p{N}_!#$%&'*+/=?^`{|}~-]+(?:\.[\p{L}\p{N}_!#$%&'*+/=?^`{|}~-]+)*$/u;
const LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?$/u;
const TLD = /^(?:\p{L}{2,}|xn--[a-z0-9-]+)$/u;

/** Syntax check, lower-cased; "Name <a@b.cn>" and mailto: accepted, 。 read as a dot. */
export function normalizeEmail(raw) {
  let text = cleanText(raw).replaceAll('。', '.');
  const angle = /<([^<>]*)>$/.exec(text);
  if (angle) text = angle[1].trim();
  text = text.toLowerCase().replace(/^mailto:/, '');
  const at = text.split('@');
  if (text.length > 254 || at.length !== 2) throw new Invalid('email.invalid');
  const [local, domain] = at;
  const labels = domain.split('.');
  const ok = local.length > 0 && local.length <= 64 && domain.length > 0 && domain.length <= 253 &&
    LOCAL.test(local) && labels.length >= 2 &&
    labels.every((l) => l.length <= 63 && LABEL.test(l)) && TLD.test(labels[labels.length - 1]);
  if (!ok) throw new Invalid('email.invalid');
  return text;
}

// ---- region / industry ----------------------------------------------------------------------

const REGION_SUFFIX = /(?:省|市|自治区|特别行政区|维吾尔|壮族|回族|\s+(?:province|city|shi|sheng))$/i;
const regionIndex = new Map();
for (const [code, zh, en] of REGIONS) {
  for (const name of [code, zh, en, zh.replace(REGION_SUFFIX, ''), zh.replace(/(维吾尔|壮族|回族)?自治区$/, '')]) {
    const key = name.toLowerCase().replace(/\s+/g, '');
    if (key && !regionIndex.has(key)) regionIndex.set(key, code);
  }
}

/** A region code for what the user typed, when this device knows the name; else null (the
 *  server knows more spellings and decides). */
export function resolveRegion(text) {
  const key = cleanText(text).toLowerCase().replace(/\s+/g, '');
  return regionIndex.get(key) ?? regionIndex.get(key.replace(REGION_SUFFIX, '')) ?? null;
}

/** @param {string} code @param {string} lang */
export function regionName(code, lang) {
  const row = REGIONS.find((r) => r[0] === code);
  return row ? (lang === 'en' ? row[2] : row[1]) : code || '';
}

export function industryName(code, lang) {
  const row = INDUSTRIES.find((r) => r[0] === code);
  return row ? (lang === 'en' ? row[1] : row[2]) : code || '';
}

// ---- customer -------------------------------------------------------------------------------

function text(limit) {
  return (value) => {
    const cleaned = cleanText(value);
    if (cleaned.length > limit) throw new Invalid('text.too_long', { max: limit });
    return cleaned || null;
  };
}
const choice = (options) => (value) => {
  if (!options.includes(value)) throw new Invalid('choice.invalid', { allowed: options.join(', ') });
  return value;
};
const optional = (convert) => (value) =>
  value == null || (typeof value === 'string' && !cleanText(value)) ? null : convert(value);

const CONVERTERS = {
  kind: choice(KINDS),
  name: text(200),
  phone: optional(normalizePhone),
  email: optional(normalizeEmail),
  region: optional((v) => resolveRegion(v) || cleanText(v)),
  address: text(500),
  industry: optional(choice(INDUSTRIES.map((r) => r[0]))),
  size: optional(choice(SIZES)),
  grade: (v) => choice(GRADES)(cleanText(v).toUpperCase()),
  lifecycle: choice(LIFECYCLES),
  source: text(32),
  notes: text(5000),
  tags: (value) => {
    const list = Array.isArray(value) ? value : String(value || '').split(/[,，;；]/);
    const tags = [...new Set(list.map(cleanText).filter(Boolean))].sort();
    if (tags.length > MAX_TAGS) throw new Invalid('tags.too_many', { max: MAX_TAGS });
    if (tags.some((t) => t.length > 30)) throw new Invalid('text.too_long', { max: 30 });
    return tags;
  },
};

/**
 * Validate and normalize a customer form (create: all fields; edit: the fields given).
 * Same codes as the server: required, contact_method.required (on phone), phone.invalid …
 * @param {Record<string, any>} incoming
 * @param {Record<string, any>|null} existing current values when editing
 * @returns {{values: Record<string, any>, errors: Record<string, FieldProblem>}}
 */
export function validateCustomer(incoming, existing = null) {
  /** @type {Record<string, FieldProblem>} */
  const errors = {};
  /** @type {Record<string, any>} */
  const values = {};
  for (const [name, raw] of Object.entries(incoming)) {
    const convert = CONVERTERS[name];
    if (!convert) continue;
    try {
      values[name] = convert(raw);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      errors[name] = { code: error.code, params: error.params };
    }
  }
  const merged = { ...(existing || {}), ...values };
  const reportable = (name) => existing === null || name in values;
  if (!merged.name && reportable('name') && !errors.name) errors.name = { code: 'required' };
  const noContact = !merged.phone && !merged.email;
  if (noContact && (reportable('phone') || reportable('email')) && !errors.phone && !errors.email) {
    errors.phone = { code: 'contact_method.required' };
  }
  return { values, errors };
}

/** Single-field check for as-you-type feedback; null when fine. */
export function checkField(name, value) {
  const convert = CONVERTERS[name];
  if (!convert) return null;
  try {
    convert(value);
    return null;
  } catch (error) {
    if (error instanceof Invalid) return { code: error.code, params: error.params };
    throw error;
  }
}
