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

/** A table in a horizontally scrollable region (narrow screens), keyboard-scrollable. */
export function table(label, headers, rows, emptyText) {
  if (rows.length === 0) return h('p', { class: 'empty', text: emptyText });
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: '0' },
    h('table', {},
      h('caption', { class: 'sr-only', text: label }),
      h('thead', {}, h('tr', {}, headers.map((header) =>
        h('th', { scope: 'col', class: header.num ? 'num' : undefined, text: header.label ?? header })))),
      h('tbody', {}, rows)));
}

export function badge(text, kind) {
  return h('span', { class: `badge ${kind}`, text });
}

/**
 * Re-renders a live region without losing the operator's place: a focused control marked with data-focus-key gets the
 * focus back when the new content has a control with the same key.
 */
export function rerender(container, ...children) {
  const focused = container.contains(document.activeElement) ? document.activeElement?.dataset?.focusKey : undefined;
  replace(container, ...children);
  if (focused) {
    const again = [...container.querySelectorAll('[data-focus-key]')].find((e) => e.dataset.focusKey === focused);
    again?.focus();
  }
}
