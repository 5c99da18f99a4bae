// Every call to the admin API goes through here: it adds the bearer token, and a 401 sends the page back to sign-in.

const TOKEN_KEY = 'wsbalancer.adminToken';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** Raised (as a 'wsb:unauthorized' event) when the server answers 401: the token is missing, wrong or was changed. */
export const UNAUTHORIZED_EVENT = 'wsb:unauthorized';

export class ApiError extends Error {
  constructor(status, reason) {
    super(reason);
    this.status = status;
    this.reason = reason;
  }
}

/** Sends one request; resolves to { status, ok, body } where body is parsed JSON, text, or null. Network errors throw. */
export async function request(method, path, body, { signal } = {}) {
  const headers = {};
  const current = token.get();
  if (current) headers.Authorization = `Bearer ${current}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
    signal,
  });
  const type = response.headers.get('Content-Type') ?? '';
  const parsed = type.includes('json') ? await response.json().catch(() => null) : await response.text();
  if (response.status === 401) {
    window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
  }
  return { status: response.status, ok: response.ok, body: parsed };
}

/** GET that throws ApiError on any non-2xx answer. */
export async function getJson(path, options) {
  const reply = await request('GET', path, undefined, options);
  if (!reply.ok) throw new ApiError(reply.status, reasonOf(reply));
  return reply.body;
}

/** The text of a script's source: shown as text, never parsed or inserted as HTML. */
export async function getText(path) {
  const reply = await request('GET', path);
  if (!reply.ok) throw new ApiError(reply.status, reasonOf(reply));
  return typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body, null, 2);
}

export function reasonOf(reply) {
  if (reply.body && typeof reply.body === 'object' && reply.body.reason) return reply.body.reason;
  return `HTTP ${reply.status}`;
}

/**
 * The API's answer to an action as one of success / noop / failed, with a message for people.
 * {"result":"success"} · {"result":"success","reason":"NoActionRequired"} · {"result":"failed","reason":…}
 */
export function outcomeOf(reply) {
  const body = reply.body && typeof reply.body === 'object' ? reply.body : {};
  if (reply.ok && body.result === 'success' && body.reason === 'NoActionRequired') {
    return { kind: 'noop', message: 'no action required' };
  }
  if (reply.ok && body.result === 'success') return { kind: 'success', message: 'success' };
  return { kind: 'failed', message: `failed: ${reasonOf(reply)}` };
}

const shellQuote = (text) => `'${String(text).replaceAll("'", "'\\''")}'`;

/**
 * The curl command that does the same as an action of the page. The token is never written out: the command reads it
 * from $ADM_TOKEN, so it can be pasted into a ticket or a runbook.
 */
export function curlFor(method, path, body, tokenRequired) {
  const parts = ['curl -s'];
  if (method !== 'GET') parts.push(`-X ${method}`);
  if (tokenRequired) parts.push('-H "Authorization: Bearer $ADM_TOKEN"');
  if (body !== undefined) parts.push(`-H 'Content-Type: application/json' -d ${shellQuote(JSON.stringify(body))}`);
  parts.push(shellQuote(new URL(path, window.location.origin).href));
  return parts.join(' ');
}
