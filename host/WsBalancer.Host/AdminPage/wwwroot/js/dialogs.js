// Modal dialogs on the native <dialog>: showModal() makes the rest of the page inert (focus stays inside), Escape
// closes it, and focus returns to the control that opened it.
import { byFocusKey } from './dom.js';

const confirmDialog = () => document.getElementById('confirm-dialog');
const textDialog = () => document.getElementById('text-dialog');

function open(dialog, focusTarget) {
  const opener = document.activeElement;
  const key = opener?.dataset?.focusKey;
  dialog.addEventListener('close', () => {
    // The view may have been drawn again while the dialog was open: the opener is then a copy with the same key.
    const target = opener?.isConnected ? opener : key && byFocusKey(document, key);
    (target || document.getElementById('main')).focus();
  }, { once: true });
  dialog.showModal();
  focusTarget?.focus();
}

/** Asks before a destructive action; resolves true when confirmed. onCurl copies the action's curl command. */
export function confirmAction({ title, message, confirmLabel = 'Confirm', onCurl }) {
  const dialog = confirmDialog();
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-message').textContent = message;
  const ok = document.getElementById('confirm-ok');
  ok.textContent = confirmLabel;
  const curl = document.getElementById('confirm-curl');
  curl.hidden = !onCurl;
  curl.onclick = onCurl ?? null;
  dialog.returnValue = 'cancel';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    open(dialog, document.getElementById('confirm-cancel'));
  });
}

/** Shows text (a script's source, a backend's config, a command) as text: never interpreted as HTML. */
export function showText(title, text) {
  const dialog = textDialog();
  document.getElementById('text-title').textContent = title;
  const body = document.getElementById('text-body');
  body.textContent = text;
  open(dialog, body);
}

/** The rate a drain dialog may send: a number above 0 and at most 1000 (the API's bounds), or an error message. */
export function checkDrainRate(text) {
  const value = String(text).trim();
  if (!/^\d+(\.\d+)?$/.test(value)) return { error: 'rate must be a number of sessions per second, such as 10 or 0.5' };
  const rate = Number(value);
  if (rate <= 0 || rate > 1000) return { error: 'rate must be above 0 and at most 1000 sessions per second' };
  return { rate: value };
}

/**
 * Asks for a drain's rate; resolves with it (as typed, checked) or null when cancelled. onCurl(rate) copies the
 * action's curl command for the rate in the field.
 */
export function askDrainRate({ title, message, onCurl }) {
  const dialog = document.getElementById('drain-dialog');
  const input = document.getElementById('drain-rate');
  const error = document.getElementById('drain-rate-error');
  document.getElementById('drain-title').textContent = title;
  document.getElementById('drain-message').textContent = message;
  input.value = '10';
  error.textContent = '';
  input.removeAttribute('aria-invalid');
  document.getElementById('drain-curl').onclick = () => onCurl(input.value.trim());
  const ok = document.getElementById('drain-ok');
  ok.onclick = (event) => {
    const checked = checkDrainRate(input.value);
    if (checked.error) {
      event.preventDefault(); // the dialog stays open with the message at its field
      error.textContent = checked.error;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  };
  // Enter in the field starts the drain: the form's implicit submission would press its first button, Cancel.
  input.onkeydown = (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      ok.click();
    }
  };
  dialog.returnValue = 'cancel';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' ? checkDrainRate(input.value).rate : null), { once: true });
    open(dialog, input);
  });
}
