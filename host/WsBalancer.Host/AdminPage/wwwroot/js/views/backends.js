// Backends: state badges and counters, actions, the add form with the API's validation messages at their field.
import { h, rerender, table, badge, actionButton } from '../dom.js';
import { formatInteger } from '../format.js';
import { getJson, reasonOf } from '../api.js';
import { confirmAction, showText, askDrainRate } from '../dialogs.js';
import { copy } from '../clipboard.js';

const FIELDS = ['url', 'id', 'ping-time', 'handshake-timeout', 'breaker-threshold', 'pass-headers'];

/** The field an /backend/add failure reason is about (the reasons name their key first), or null for the whole form. */
export function fieldOfReason(reason) {
  const text = String(reason);
  if (/^(duplicate )?url\b/.test(text)) return 'url';
  if (/^(duplicate )?id\b/.test(text)) return 'id';
  for (const field of ['ping-time', 'handshake-timeout', 'breaker-threshold', 'pass-headers']) {
    if (text.startsWith(field)) return field;
  }
  return null;
}

/** The badge of a drain's progress (the row's draining field), or null when the backend is not drained. */
export function drainBadge(draining) {
  if (!draining) return null;
  const left = `${formatInteger(draining.remaining)} left`;
  switch (draining.state) {
    case 'running': return [`draining ${formatRate(draining.rate)}/s: ${formatInteger(draining.moved)} moved, ${left}`, 'warn'];
    case 'paused': return [`drain paused: ${left}, no other backend takes them`, 'bad'];
    case 'drained': return [`drained: ${formatInteger(draining.moved)} moved, takes no new sessions`, 'off'];
    default: return [`drain stopped: ${formatInteger(draining.moved)} moved, ${left}, takes no new sessions`, 'off'];
  }
}

function formatRate(rate) {
  return Number.isInteger(rate) ? String(rate) : rate.toFixed(2).replace(/0+$/, '');
}

const BREAKER = { Closed: ['breaker closed', 'ok'], HalfOpen: ['breaker half-open', 'warn'], Open: ['breaker open', 'bad'] };

export function createBackends(app) {
  const form = document.getElementById('backend-add');
  const container = document.getElementById('backends-table');

  function row(backend) {
    const id = backend.id;
    const path = (action) => `/backend/${action}/${encodeURIComponent(id)}`;
    const [breakerText, breakerKind] = BREAKER[backend.breakerState] ?? [`breaker ${backend.breakerState}`, 'warn'];
    const button = (label, onclick, options) => actionButton(label, '', id, onclick, options);
    const actions = [button('Config', () => showConfig(id), { kind: 'quiet' })];
    // Drained in any state (a stopped drain too) the backend takes no new session until it is undrained.
    const draining = Boolean(backend.draining);
    const drain = drainBadge(backend.draining);
    if (app.canAct) {
      actions.push(
        backend.enabled
          ? button('Disable', () => app.act({ label: `Disable backend ${id}`, path: path('disable') }), { key: 'toggle' })
          : button('Enable', () => app.act({ label: `Enable backend ${id}`, path: path('enable') }), { key: 'toggle' }),
        button('Reset', () => app.act({ label: `Reset breaker of backend ${id}`, path: path('reset') })),
        button('Fail over', () => app.act({ label: `Fail over backend ${id}`, path: path('failover') })),
        draining
          ? button('Undrain', () => app.act({ label: `Undrain backend ${id}`, path: path('undrain') }), { key: 'drain' })
          : button('Drain', () => startDrain(backend), { key: 'drain' }),
        button('Delete', () => confirmDelete(backend), { kind: 'danger' }));
    }
    return h('tr', { 'data-backend-id': id },
      h('td', { class: 'mono id', text: id }),
      h('td', { class: 'mono', text: backend.url }),
      h('td', {}, backend.enabled ? badge('enabled', 'ok') : badge('disabled', 'off'), badge(breakerText, breakerKind), drain && badge(...drain)),
      h('td', { class: 'num', text: formatInteger(backend.activeConnections) }),
      h('td', { class: 'num', text: formatInteger(backend.totalConnections) }),
      h('td', { class: 'num', text: formatInteger(backend.totalFailures) }),
      h('td', { class: 'actions' }, actions));
  }

  async function confirmDelete(backend) {
    const id = backend.id;
    const path = `/backend/delete/${encodeURIComponent(id)}`;
    const sessions = backend.activeConnections;
    const ok = await confirmAction({
      title: `Delete backend ${id}?`,
      message: `Backend "${id}" holds ${sessions} live session${sessions === 1 ? '' : 's'}. Deleting it forgets the backend and moves ${sessions === 1 ? 'that session' : 'those sessions'} to other backends.`,
      confirmLabel: `Delete ${id}`,
      onCurl: () => copy(app.curl('POST', path)),
    });
    if (ok) await app.act({ label: `Delete backend ${id}`, path });
  }

  async function startDrain(backend) {
    const id = backend.id;
    const path = (rate) => `/backend/drain/${encodeURIComponent(id)}?rate=${encodeURIComponent(rate)}`;
    const sessions = backend.activeConnections;
    const rate = await askDrainRate({
      title: `Drain backend ${id}?`,
      message: `Moves the ${sessions} live session${sessions === 1 ? '' : 's'} of "${id}" to other backends, a few each second, without their clients noticing; "${id}" takes no new session until it is undrained.`,
      onCurl: (typed) => copy(app.curl('POST', path(typed))),
    });
    if (rate !== null) await app.act({ label: `Drain backend ${id} at ${rate}/s`, path: path(rate) });
  }

  async function showConfig(id) {
    try {
      const config = await getJson(`/backend/config/${encodeURIComponent(id)}`);
      showText(`Backend ${id}: configuration`, JSON.stringify(config, null, 2));
    } catch (error) {
      app.log(`Config of backend ${id}`, { kind: 'failed', message: `failed: ${error.message}` });
    }
  }

  function readForm() {
    const body = {};
    const errors = {};
    for (const field of FIELDS) {
      const value = form.elements[field].value.trim();
      if (value === '') continue;
      if (field === 'breaker-threshold') {
        if (!/^-?\d+$/.test(value)) errors[field] = 'breaker-threshold must be a whole number';
        else body[field] = Number(value);
      } else if (field === 'pass-headers') {
        body[field] = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
      } else {
        body[field] = value;
      }
    }
    return { body, errors };
  }

  function showErrors(errors, formError) {
    for (const field of FIELDS) {
      const input = form.elements[field];
      const message = errors[field] ?? '';
      document.getElementById(`add-${field}-error`).textContent = message;
      if (message) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
    document.getElementById('add-form-error').textContent = formError ?? '';
  }

  async function submit(event) {
    event.preventDefault();
    const { body, errors } = readForm();
    if (Object.keys(errors).length > 0) {
      showErrors(errors);
      form.querySelector('[aria-invalid="true"]')?.focus();
      return;
    }
    showErrors({});
    const { reply, outcome } = await app.act({ label: `Add backend ${body.id ?? body.url ?? ''}`.trim(), path: '/backend/add', body });
    if (outcome.kind === 'success') {
      form.reset();
      return;
    }
    if (!reply) return;
    const reason = reasonOf(reply);
    const field = fieldOfReason(reason);
    showErrors(field ? { [field]: reason } : {}, field ? null : reason);
    (field ? form.elements[field] : form.elements.url).focus();
  }

  form.addEventListener('submit', submit);
  document.getElementById('add-curl').addEventListener('click', () => copy(app.curl('POST', '/backend/add', readForm().body)));

  return {
    name: 'backends',
    async refresh() {
      // A dialer plugin without an administrator has no backends to list (the API answers 501 NotImplemented).
      const managed = app.stats?.backends !== null;
      form.hidden = !app.canAct || !managed;
      if (!managed) {
        rerender(container, h('p', { class: 'empty', text: 'The active dialer manages no backends: it is a plugin without a backend administrator, so the backend actions of the API answer 501 NotImplemented.' }));
        return;
      }
      const backends = await getJson('/backend/list');
      rerender(container, table('Backends', ['Id', 'URL', 'State', { label: 'Live sessions', num: true }, { label: 'Connections', num: true }, { label: 'Failures', num: true }, 'Actions'],
        backends.map(row), 'No backends yet. Add one below.'));
    },
  };
}
