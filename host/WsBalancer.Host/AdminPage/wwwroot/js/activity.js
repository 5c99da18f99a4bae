// The in-page activity log: every action the operator takes, its result as the API gave it, and its curl command.
import { h } from './dom.js';
import { clock } from './format.js';
import { copy } from './clipboard.js';

const MAX_ENTRIES = 200;

const LABELS = { success: 'success', noop: 'no action required', failed: 'failed' };

/** Adds one line at the top of the log and announces the result to screen readers. */
export function logAction(action, outcome, curl) {
  const log = document.getElementById('activity-log');
  const entry = h('li', { class: 'entry', 'data-outcome': outcome.kind },
    h('span', { class: 'when', text: clock() }),
    h('span', { class: 'what', text: action }),
    ' — ',
    h('strong', { class: `outcome outcome-${outcome.kind}`, text: outcome.kind === 'failed' ? outcome.message : LABELS[outcome.kind] }),
    curl ? h('code', { class: 'curl', text: curl }) : null,
    curl ? h('button', { type: 'button', class: 'quiet', onclick: () => copy(curl), text: 'Copy curl' }) : null);
  log.prepend(entry);
  document.getElementById('activity-empty').hidden = true;
  while (log.children.length > MAX_ENTRIES) log.lastElementChild.remove();
  document.getElementById('last-result').textContent = `${action}: ${outcome.message}`;
}
