// The page's entry point: sign-in, the role, the views and the 2-second poll that keeps them current.
import { request, getJson, token, curlFor, outcomeOf, UNAUTHORIZED_EVENT } from './api.js';
import { logAction } from './activity.js';
import { createOverview } from './views/overview.js';
import { createBackends } from './views/backends.js';
import { createSessions } from './views/sessions.js';
import { createPlugins } from './views/plugins.js';
import { createScripts } from './views/scripts.js';

// Under the 2 s the views promise, so a new session or a state change is on screen within 2 s of happening.
const POLL_MS = 1500;
const $ = (id) => document.getElementById(id);

const app = {
  canAct: false,
  /** The latest GET /stats; its backends is null when the active dialer manages no backends (a plugin dialer). */
  stats: null,
  tokenRequired: false,
  curl: (method, path, body) => curlFor(method, path, body, app.tokenRequired),
  log: logAction,
  /** Runs an action (POST by default), logs its result with its curl command, and refreshes the view. */
  async act({ label, method = 'POST', path, body }) {
    const curl = app.curl(method, path, body);
    let reply = null;
    let outcome;
    try {
      reply = await request(method, path, body);
      outcome = outcomeOf(reply);
    } catch (error) {
      outcome = { kind: 'failed', message: `failed: ${error.message}` };
    }
    logAction(label, outcome, curl);
    app.refreshNow();
    return { reply, outcome };
  },
  refreshNow: () => poll(),
};

let views = null;
let current = 'overview';
let timer = null;
let running = false;
let signedIn = false;

function showConnectionError(message) {
  const banner = $('connection-error');
  banner.textContent = message;
  banner.hidden = !message;
}

async function poll() {
  if (!signedIn) return;
  clearTimeout(timer);
  if (running) {
    timer = setTimeout(poll, 50); // one poll at a time; an action's refresh follows the one in flight
    return;
  }
  running = true;
  try {
    app.stats = await getJson('/stats');
    views.overview.onStats(app.stats);
    await views[current].refresh();
    showConnectionError('');
  } catch (error) {
    if (error.status !== 401) showConnectionError(`Cannot reach the admin API: ${error.message}`);
  } finally {
    running = false;
    if (signedIn) timer = setTimeout(poll, POLL_MS);
  }
}

function showView(name) {
  current = views && name in views ? name : 'overview';
  for (const link of document.querySelectorAll('#views-nav a')) {
    if (link.dataset.view === current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== `view-${current}`;
  document.title = `${current[0].toUpperCase()}${current.slice(1)} · WsBalancer admin`;
  poll();
}

function showSignIn(message) {
  signedIn = false;
  clearTimeout(timer);
  for (const id of ['views-nav', 'who', 'activity']) $(id).hidden = true;
  for (const section of document.querySelectorAll('.view')) section.hidden = true;
  $('signin').hidden = false;
  const input = $('signin-token');
  $('signin-error').textContent = message ?? '';
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
  input.focus();
}

function showApp(who) {
  app.canAct = who.role === 'admin';
  app.tokenRequired = who.tokenRequired;
  document.body.dataset.role = who.role;
  $('role-badge').textContent = who.role === 'admin' ? 'admin' : 'read-only';
  $('role-badge').className = `badge ${who.role === 'admin' ? 'ok' : 'warn'}`;
  $('sign-out').hidden = !who.tokenRequired;
  for (const element of document.querySelectorAll('.admin-only')) element.hidden = !app.canAct;
  $('signin').hidden = true;
  for (const id of ['views-nav', 'who', 'activity']) $(id).hidden = false;
  views ??= {
    overview: createOverview(app),
    backends: createBackends(app),
    sessions: createSessions(app),
    plugins: createPlugins(app),
    scripts: createScripts(app),
  };
  signedIn = true;
  showView(location.hash.slice(1));
}

/** Asks the server who the stored token (or none) is; shows sign-in when a token is needed. */
async function boot(refusedMessage) {
  let reply;
  try {
    reply = await request('GET', '/admin/whoami');
  } catch (error) {
    showConnectionError(`Cannot reach the admin API: ${error.message}`);
    return;
  }
  if (reply.status === 401) {
    const hadToken = token.get() !== null;
    token.clear();
    showSignIn(hadToken ? refusedMessage ?? 'That token was refused.' : undefined);
    return;
  }
  if (!reply.ok) {
    showConnectionError(`The admin API answered ${reply.status}.`);
    return;
  }
  showConnectionError('');
  showApp(reply.body);
}

$('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const value = $('signin-token').value.trim();
  if (!value) {
    showSignIn('Enter a token.');
    return;
  }
  token.set(value);
  $('signin-token').value = '';
  await boot('That token was refused. Check it and try again.');
});

$('sign-out').addEventListener('click', () => {
  token.clear();
  showSignIn();
});

// Any 401 (the token was rotated, or the tab's token is gone) leads back to sign-in.
window.addEventListener(UNAUTHORIZED_EVENT, () => {
  if (!signedIn) return;
  token.clear();
  showSignIn('The server refused the token (401). Sign in again.');
});

// Only view names switch views: the skip link's #main moves the focus and leaves the view as it is.
window.addEventListener('hashchange', () => {
  const name = location.hash.slice(1);
  if (signedIn && views && name in views) showView(name);
});

boot();
