// Copies text; where the Clipboard API is not available (plain http off loopback is not a secure context), the text is
// shown selected in a dialog so it can be copied by hand.
import { showText } from './dialogs.js';

export async function copy(text, title = 'Copy this command') {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Permission refused: fall through to the dialog.
  }
  showText(title, text);
  return false;
}
