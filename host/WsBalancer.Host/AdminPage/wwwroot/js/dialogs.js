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
