// Sessions: searched, filtered and paged by the server (GET /session/list?q=&backend=&offset=&limit=), so the view
// stays quick with thousands of sessions; abort and fail over per session.
import { h, rerender, table, actionButton } from '../dom.js';
import { formatInteger, age } from '../format.js';
import { getJson } from '../api.js';
import { confirmAction } from '../dialogs.js';
import { copy } from '../clipboard.js';

const SEARCH_DELAY_MS = 250;

export function createSessions(app) {
  const container = document.getElementById('sessions-table');
  const search = document.getElementById('session-q');
  const backendSelect = document.getElementById('session-backend');
  const limitSelect = document.getElementById('session-limit');
  const previous = document.getElementById('sessions-prev');
  const next = document.getElementById('sessions-next');
  const range = document.getElementById('sessions-range');
  let offset = 0;
  let total = 0;
  let searchTimer;
  let requestNumber = 0;

  const limit = () => Number(limitSelect.value);

  function query() {
    const params = new URLSearchParams({ offset: String(offset), limit: String(limit()) });
    const text = search.value.trim();
    if (text) params.set('q', text);
    if (backendSelect.value) params.set('backend', backendSelect.value);
    return `/session/list?${params}`;
  }

  function row(session, now) {
    const id = session.id;
    const actions = app.canAct
      ? [
          actionButton('Fail over', 'session', id, () => app.act({ label: `Fail over session ${id}`, path: `/session/failover/${encodeURIComponent(id)}` })),
          actionButton('Abort', 'session', id, () => confirmAbort(session), { kind: 'danger' }),
        ]
      : [];
    return h('tr', { 'data-session-id': id },
      h('td', { class: 'mono id', text: id }),
      h('td', { class: 'mono', text: session.uri }),
      h('td', { class: 'mono', text: session.backendId }),
      h('td', { class: 'mono', text: session.remoteAddress ?? '' }),
      h('td', { class: 'num', title: session.startedAt, text: age(session.startedAt, now) }),
      h('td', { class: 'num', text: formatInteger(session.reconnects) }),
      h('td', { class: 'num', text: formatInteger(session.msgsReceived) }),
      h('td', { class: 'num', text: formatInteger(session.msgsSent) }),
      app.canAct ? h('td', { class: 'actions' }, actions) : null);
  }

  async function confirmAbort(session) {
    const path = `/session/abort/${encodeURIComponent(session.id)}`;
    const ok = await confirmAction({
      title: `Abort session ${session.id}?`,
      message: `The client at ${session.remoteAddress ?? 'an unknown address'} (${session.uri}, on backend ${session.backendId}) is closed with 1000.`,
      confirmLabel: 'Abort session',
      onCurl: () => copy(app.curl('POST', path)),
    });
    if (ok) await app.act({ label: `Abort session ${session.id}`, path });
  }

  async function refreshBackends() {
    const backends = app.stats?.backends === null ? [] : await getJson('/backend/list'); // null: the dialer lists none
    const ids = backends.map((b) => b.id);
    const current = [...backendSelect.options].slice(1).map((o) => o.value);
    if (ids.join('\n') === current.join('\n')) return;
    const selected = backendSelect.value;
    backendSelect.replaceChildren(h('option', { value: '', text: 'Any backend' }), ...ids.map((id) => h('option', { value: id, text: id })));
    backendSelect.value = ids.includes(selected) ? selected : '';
  }

  async function refresh() {
    const mine = ++requestNumber;
    const page = await getJson(query());
    if (mine !== requestNumber) return; // a newer search has been sent meanwhile: its answer wins
    total = page.total;
    if (page.items.length === 0 && offset > 0 && offset >= total) {
      offset = Math.max(0, Math.floor((total - 1) / limit()) * limit());
      return refresh();
    }
    const now = Date.now();
    const headers = ['Id', 'URI', 'Backend', 'Remote address', { label: 'Age', num: true }, { label: 'Reconnects', num: true }, { label: 'From client', num: true }, { label: 'To client', num: true }];
    if (app.canAct) headers.push('Actions');
    rerender(container, table('Sessions', headers, page.items.map((s) => row(s, now)), search.value || backendSelect.value ? 'No session matches.' : 'No live sessions.'));
    const first = total === 0 ? 0 : offset + 1;
    range.textContent = `${formatInteger(first)}–${formatInteger(offset + page.items.length)} of ${formatInteger(total)}`;
    previous.disabled = offset === 0;
    next.disabled = offset + page.items.length >= total;
    refreshBackends().catch(() => {});
  }

  function restart() {
    offset = 0;
    app.refreshNow();
  }

  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(restart, SEARCH_DELAY_MS);
  });
  document.getElementById('session-search').addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(searchTimer);
    restart();
  });
  backendSelect.addEventListener('change', restart);
  limitSelect.addEventListener('change', restart);
  previous.addEventListener('click', () => {
    offset = Math.max(0, offset - limit());
    app.refreshNow();
  });
  next.addEventListener('click', () => {
    if (offset + limit() < total) offset += limit();
    app.refreshNow();
  });

  return { name: 'sessions', refresh };
}
