// Scripts: status, counters and latency; the source as text; enable, disable. Broken and quarantined scripts stand out.
import { h, rerender, table, badge, actionButton } from '../dom.js';
import { formatInteger, formatDecimal } from '../format.js';
import { getJson, getText } from '../api.js';
import { showText } from '../dialogs.js';

const STATUS = { active: 'ok', disabled: 'off', quarantined: 'bad', error: 'bad' };

export function createScripts(app) {
  const container = document.getElementById('scripts-table');

  function act(label, name, action) {
    return () => app.act({ label: `${label} script ${name}`, path: `/script/${action}/${encodeURIComponent(name)}` });
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
    const quarantined = script.status === 'quarantined';
    const actions = [];
    if (script.status !== 'error') actions.push(actionButton('Source', 'script', name, () => showSource(name), { kind: 'quiet' }));
    if (app.canAct) {
      // Enable lifts a quarantine (the API's enable), so a quarantined script offers it next to Disable.
      if (script.status === 'disabled' || quarantined) actions.push(actionButton('Enable', 'script', name, act('Enable', name, 'enable'), { key: 'toggle' }));
      if (script.status !== 'disabled') actions.push(actionButton('Disable', 'script', name, act('Disable', name, 'disable'), { key: quarantined ? 'Disable' : 'toggle' }));
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
      h('td', {},
        script.error ? h('span', { class: 'error-text', text: script.error }) : '',
        quarantined ? h('p', { class: 'note', text: `Not run until its file changes or it is enabled; meanwhile its on-error (${script.onError ?? 'drop'}) applies to every message.` }) : null,
        script.lastFault ? h('p', { class: 'note', text: `Last fault: ${script.lastFault}` }) : null),
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
