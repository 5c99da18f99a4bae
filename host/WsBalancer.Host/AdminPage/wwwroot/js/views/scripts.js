// Scripts: status, counters and latency; the source as text; enable, disable. Broken and quarantined scripts stand out.
import { h, rerender, table, badge } from '../dom.js';
import { formatInteger, formatDecimal } from '../format.js';
import { getJson, getText } from '../api.js';
import { showText } from '../dialogs.js';

const STATUS = { active: 'ok', disabled: 'off', quarantined: 'bad', error: 'bad' };

export function createScripts(app) {
  const container = document.getElementById('scripts-table');

  function button(label, name, onclick, kind) {
    return h('button', { type: 'button', class: kind, 'data-focus-key': `${label}:${name}`, 'aria-label': `${label} script ${name}`, onclick, text: label });
  }

  async function showSource(name) {
    try {
      showText(`Script ${name}`, await getText(`/script/source/${encodeURIComponent(name)}`));
    } catch (error) {
      app.log(`Source of script ${name}`, { kind: 'failed', message: `failed: ${error.message}` });
    }
  }

  function row(script) {
    const name = script.name;
    const broken = script.status === 'error' || script.status === 'quarantined';
    const actions = [];
    if (script.status !== 'error') actions.push(button('Source', name, () => showSource(name), 'quiet'));
    if (app.canAct) {
      const action = script.status === 'disabled' ? 'enable' : 'disable';
      const label = action === 'enable' ? 'Enable' : 'Disable';
      actions.push(button(label, name, () => app.act({ label: `${label} script ${name}`, path: `/script/${action}/${encodeURIComponent(name)}` })));
    }
    return h('tr', { 'data-script': name, class: broken || script.error ? 'problem' : undefined },
      h('td', { class: 'mono' }, h('strong', { text: name })),
      h('td', {}, badge(script.status, STATUS[script.status] ?? 'warn'), script.mode === 'shadow' ? badge('shadow', 'off') : null),
      h('td', { class: 'num', text: formatInteger(script.calls) }),
      h('td', { class: 'num', text: formatInteger(script.drops) }),
      h('td', { class: 'num', text: formatInteger(script.errors) }),
      h('td', { class: 'num', text: formatInteger(script.limitBreaks) }),
      h('td', { class: 'num', text: formatDecimal(script.avgMicros) }),
      h('td', { class: 'num', text: formatDecimal(script.p99Micros) }),
      h('td', {}, script.error ? h('span', { class: 'error-text', text: script.error }) : ''),
      h('td', { class: 'actions' }, actions));
  }

  return {
    name: 'scripts',
    async refresh() {
      const scripts = await getJson('/script/list');
      rerender(container, table('Scripts',
        ['Script', 'Status', { label: 'Calls', num: true }, { label: 'Drops', num: true }, { label: 'Errors', num: true }, { label: 'Limit breaks', num: true }, { label: 'Avg µs', num: true }, { label: 'p99 µs', num: true }, 'Error', 'Actions'],
        scripts.map(row), 'No scripts in the scripts directory.'));
    },
  };
}
