// Plugins: versions, status, pinned sessions, load errors; reload, enable, disable.
import { h, rerender, table, badge, actionButton } from '../dom.js';
import { formatInteger } from '../format.js';
import { getJson } from '../api.js';

const STATUS = { active: 'ok', disabled: 'off', failed: 'bad', draining: 'warn', 'unload-pending': 'warn' };

export function createPlugins(app) {
  const container = document.getElementById('plugins-table');

  function button(label, name, action, key) {
    return actionButton(label, 'plugin', name,
      () => app.act({ label: `${label} plugin ${name}`, path: `/plugin/${action}/${encodeURIComponent(name)}` }), { key });
  }

  function olderVersions(plugin) {
    const older = (plugin.versions ?? []).filter((v) => v.status !== 'active');
    if (older.length === 0) return '';
    return h('ul', { class: 'versions' }, older.map((v) => h('li', {},
      `${v.version}#${v.sequence} ${v.status}, ${v.sessions} session${v.sessions === 1 ? '' : 's'}`,
      v.error ? h('span', { class: 'error-text', text: ` — ${v.error}` }) : null)));
  }

  function row(plugin) {
    const name = plugin.name;
    const actions = app.canAct
      ? h('td', { class: 'actions' },
          button('Reload', name, 'reload'),
          plugin.status === 'disabled' ? button('Enable', name, 'enable', 'toggle') : button('Disable', name, 'disable', 'toggle'))
      : null;
    return h('tr', { 'data-plugin': name, class: plugin.error ? 'problem' : undefined },
      h('td', {}, h('strong', { text: name }), plugin.description ? h('div', { text: plugin.description }) : null,
        plugin.bundled ? badge('bundled', 'off') : null),
      h('td', { class: 'mono', text: plugin.version ?? '–' }),
      h('td', {}, badge(plugin.status, STATUS[plugin.status] ?? 'warn')),
      h('td', { class: 'num', text: formatInteger(plugin.sessions) }),
      h('td', {}, plugin.error ? h('span', { class: 'error-text', text: plugin.error }) : '', olderVersions(plugin)),
      actions);
  }

  return {
    name: 'plugins',
    async refresh() {
      const plugins = await getJson('/plugin/list');
      const headers = ['Plugin', 'Version', 'Status', { label: 'Pinned sessions', num: true }, 'Errors and older versions'];
      if (app.canAct) headers.push('Actions');
      rerender(container, table('Plugins', headers, plugins.map(row), 'No plugins in the plugins directory.'));
    },
  };
}
