// fetch wrapper: bearer token, the UI language, JSON in/out, the server's error shape.

import { session } from './session.js';
import { lang } from './i18n.js';

/** The server's error body: {status, code, message, errors: [{field, code, message}]}. */
export class ApiError extends Error {
  /** @param {number} status @param {any} body */
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body?.code || 'http';
    /** @type {{field: string, code: string, message: string}[]} */
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
    this.details = body?.details || {};
    this.body = body;
  }
}

/** The network is unreachable (offline, DNS, server down). */
export class NetworkError extends Error {
  constructor(cause) {
    super('network');
    this.name = 'NetworkError';
    this.cause = cause;
  }
}

/** Called on 401 so the app can ask for the password again (keeping local data). */
let onUnauthorized = () => {};
export const setUnauthorizedHandler = (fn) => { onUnauthorized = fn; };

/**
 * @param {string} path
 * @param {{method?: string, body?: any, query?: Record<string, any>, signal?: AbortSignal, auth?: boolean}} [options]
 */
export async function api(path, { method = 'GET', body, query, signal, auth = true } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  /** @type {Record<string, string>} */
  const headers = { 'Accept-Language': lang(), Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && session.token) headers.Authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch(url, {
      method, headers, signal, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    throw new NetworkError(error);
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { message: text }; }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && auth) onUnauthorized(error);
    throw error;
  }
  return data;
}

/** True if an error means "no connection" rather than a refusal. */
export const isNetworkError = (error) => error instanceof NetworkError;

/** GET a non-JSON body (a CSV export) as a Blob. */
export async function apiBlob(path, query = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
  let response;
  try {
    response = await fetch(url, {
      headers: { Authorization: `Bearer ${session.token}`, 'Accept-Language': lang() }, cache: 'no-store',
    });
  } catch (error) {
    throw new NetworkError(error);
  }
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return response.blob();
}
