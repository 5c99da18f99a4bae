// Overview: frontend state with pause/resume, counts, rates, failovers, and 15-minute charts kept in the page.
import { h, rerender, badge } from '../dom.js';
import { formatInteger, formatDecimal } from '../format.js';
import { drawChart } from '../chart.js';
import { StatsHistory } from '../history.js';

export function createOverview(app) {
  const history = new StatsHistory();
  let stats = null;

  function tile(key, title, value, detail, ...extra) {
    return h('div', { class: 'tile', 'data-tile': key },
      h('h3', { text: title }),
      h('p', { class: 'value', text: value }),
      detail ? h('p', { class: 'detail', text: detail }) : null,
      ...extra);
  }

  function frontendTile() {
    const { id, paused } = stats.frontend;
    const action = paused ? 'resume' : 'pause';
    const button = app.canAct
      ? h('button', {
          type: 'button',
          'data-focus-key': 'frontend',
          onclick: () => app.act({ label: `${paused ? 'Resume' : 'Pause'} frontend ${id}`, path: `/frontend/${action}/${encodeURIComponent(id)}` }),
          text: paused ? 'Resume' : 'Pause',
        })
      : null;
    return h('div', { class: 'tile', 'data-tile': 'frontend' },
      h('h3', { text: `Frontend ${id}` }),
      h('p', { class: 'value' }, paused ? badge('paused', 'warn') : badge('accepting', 'ok')),
      h('p', { class: 'detail', text: paused ? 'new clients get 503; live sessions go on' : 'new clients are accepted' }),
      button);
  }

  function render() {
    if (!stats) return;
    const latest = history.latest();
    const backends = stats.backends;
    rerender(document.getElementById('overview-tiles'),
      frontendTile(),
      tile('sessions', 'Live sessions', formatInteger(stats.sessions)),
      backends
        ? tile('backends', 'Backends up', formatInteger(backends.up), `${formatInteger(backends.tripped)} tripped · ${formatInteger(backends.disabled)} disabled · ${formatInteger(backends.total)} in all`)
        : tile('backends', 'Backends', 'n/a', 'the active dialer lists no backends'),
      tile('received', 'Messages/s from clients', formatDecimal(latest?.received)),
      tile('sent', 'Messages/s to clients', formatDecimal(latest?.sent)),
      tile('failovers', 'Failovers, last 5 min', formatInteger(stats.failoversLast5m), `${formatInteger(stats.failoversTotal)} since start`));
    const points = history.samples;
    const windowMs = history.span();
    drawChart(document.getElementById('chart-sessions'),
      [{ className: 'series-1', points: points.map((p) => ({ t: p.t, v: p.sessions })) }],
      { windowMs, summary: `Live sessions now: ${formatInteger(stats.sessions)}` });
    drawChart(document.getElementById('chart-messages'),
      [
        { className: 'series-1', points: points.map((p) => ({ t: p.t, v: p.received })) },
        { className: 'series-2', points: points.map((p) => ({ t: p.t, v: p.sent })) },
      ],
      { windowMs, summary: `Messages per second now: ${formatDecimal(latest?.received)} from clients, ${formatDecimal(latest?.sent)} to clients` });
    ensureLegend();
  }

  function ensureLegend() {
    const svg = document.getElementById('chart-messages');
    if (svg.nextElementSibling?.classList.contains('legend')) return;
    svg.after(h('ul', { class: 'legend' },
      h('li', { class: 'series-1', text: 'from clients' }),
      h('li', { class: 'series-2', text: 'to clients' })));
  }

  return {
    name: 'overview',
    /** Every poll, whatever view is shown: the charts must not have holes while the operator looks elsewhere. */
    onStats(next) {
      stats = next;
      history.add(next);
    },
    async refresh() {
      render();
    },
  };
}
