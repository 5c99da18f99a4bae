// Builds elements without HTML strings: text is always set as text, so data from the API can never become markup.

/**
 * h('button', { class: 'quiet', onclick: fn, 'aria-label': 'Abort' }, 'Abort')
 * Attributes: class, text, on<event> handlers, boolean true/false, everything else as a string attribute.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      element.className = value;
    } else if (name === 'text') {
      element.textContent = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of an element. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/**
 * A table in a horizontally scrollable region (narrow screens), keyboard-scrollable. The region keeps its focus and its
 * scroll position when the view is drawn again (see rerender).
 */
export function table(label, headers, rows, emptyText) {
  if (rows.length === 0) return h('p', { class: 'empty', text: emptyText });
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: '0', 'data-focus-key': `table:${label}` },
    h('table', {},
      h('caption', { class: 'sr-only', text: label }),
      h('thead', {}, h('tr', {}, headers.map((header) =>
        h('th', { scope: 'col', class: header.num ? 'num' : undefined, text: header.label ?? header })))),
      h('tbody', {}, rows)));
}

/**
 * A row's action button, named for its row ("Disable canary", "Abort session 3f2a…": subject is the kind of row, or
 * empty). Its data-focus-key (key, default the label, plus the id) brings the focus back after a redraw; a toggle gives
 * both its states one key, so the focus stays on it when it flips.
 */
export function actionButton(label, subject, id, onclick, { kind, key = label } = {}) {
  const name = [label, subject, id].filter(Boolean).join(' ');
  return h('button', { type: 'button', class: kind, 'data-focus-key': `${key}:${id}`, 'aria-label': name, onclick, text: label });
}

export function badge(text, kind) {
  return h('span', { class: `badge ${kind}`, text });
}

/** The control with this data-focus-key inside root, or undefined. */
export function byFocusKey(root, key) {
  return [...root.querySelectorAll('[data-focus-key]')].find((e) => e.dataset.focusKey === key);
}

/**
 * Re-renders a live region without losing the operator's place. A focused control marked with data-focus-key gets the
 * focus back when the new content has a control with the same key (a toggle keeps one key for both its states, so
 * Disable pressed with the keyboard leaves the focus on Enable). When that control is gone (its row was deleted), the
 * focus goes to the region's table, or to the main area, never to the top of the document. Scrolled tables keep their
 * scroll position.
 */
export function rerender(container, ...children) {
  const hadFocus = container.contains(document.activeElement);
  const focused = hadFocus ? document.activeElement?.dataset?.focusKey : undefined;
  const scrolled = container.querySelector('.table-wrap');
  const scroll = scrolled ? [scrolled.scrollLeft, scrolled.scrollTop] : null;
  const old = [...container.childNodes];
  append(container, children);
  const fresh = [...container.childNodes].slice(old.length);
  // The new control takes the focus while the old one still holds it, and only then is the old content removed: a
  // browser shows the focus ring on a control focused by script when the control that had the focus showed it (the
  // operator uses the keyboard), and shows none once the focused control was removed first (the focus fell to the body).
  const again = focused ? fresh.map((node) => byFocusKeyIn(node, focused)).find((e) => e) : undefined;
  if (again) again.focus({ preventScroll: true }); // where it was: the page must not jump
  for (const node of old) node.remove();
  const wrap = container.querySelector('.table-wrap');
  if (wrap && scroll) [wrap.scrollLeft, wrap.scrollTop] = scroll;
  if (hadFocus && !again) (wrap ?? document.getElementById('main')).focus();
}

/** The node itself or its descendant with this data-focus-key, or undefined. */
function byFocusKeyIn(node, key) {
  if (!(node instanceof Element)) return undefined;
  return node.dataset.focusKey === key ? node : byFocusKey(node, key);
}
