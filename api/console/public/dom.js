// Building the page from data. Text always goes in as textContent (never innerHTML), so whatever
// an event's name or a user's email holds is shown, never run.

/**
 * `h('a', { href, class: 'x', onclick }, 'text', child)`: an element with attributes, event
 * handlers (`on…`) and children (strings become text nodes; null and false are skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces `el`'s children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const numbers = new Intl.NumberFormat();
export const num = (n) => numbers.format(n ?? 0);
export const percent = (part, whole) => (whole > 0 ? `${Math.round((part / whole) * 100)}%` : '–');

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const when = (iso) => (iso ? dateTime.format(new Date(iso)) : '–');

/** "in 3 min", "2 h ago": how far an instant is from now. */
export function relative(iso) {
  const seconds = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  const [value, unit] =
    abs < 60
      ? [seconds, 'second']
      : abs < 3600
        ? [seconds / 60, 'minute']
        : abs < 86400
          ? [seconds / 3600, 'hour']
          : [seconds / 86400, 'day'];
  return new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }).format(Math.round(value), unit);
}

/**
 * A sales bar: booked (solid) and held (striped) as shares of capacity, with the figures in words
 * for screen readers and for the eye.
 */
export function progress({ booked, held, capacity }) {
  const share = (n) => `${Math.min(100, (n / Math.max(capacity, 1)) * 100).toFixed(2)}%`;
  const bookedBar = h('span', { class: 'bar-booked' });
  const heldBar = h('span', { class: 'bar-held' });
  // Widths through the CSSOM: the console's CSP allows no inline style attributes.
  bookedBar.style.width = share(booked);
  heldBar.style.width = share(held);
  return h(
    'div',
    { class: 'progress' },
    h(
      'div',
      {
        class: 'bar',
        role: 'img',
        'aria-label': `${booked} booked, ${held} held of ${capacity}`,
      },
      bookedBar,
      heldBar,
    ),
    h(
      'div',
      { class: 'bar-legend' },
      h('span', {}, h('b', {}, num(booked)), ' booked'),
      held > 0 ? h('span', {}, h('b', {}, num(held)), ' held') : null,
      h('span', { class: 'muted' }, `of ${num(capacity)} · ${percent(booked + held, capacity)}`),
    ),
  );
}

/** A status as a coloured pill. */
export const pill = (text, kind = text) => h('span', { class: `pill pill-${kind}` }, text.replace(/_/g, ' '));

/** A table with a header row; `rows` are arrays of cells (strings or nodes). */
export function table(headers, rows, empty = 'Nothing here yet.') {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((t) => h('th', {}, t)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((cells) =>
        h(
          'tr',
          {},
          cells.map((c) => h('td', {}, c)),
        ),
      ),
    ),
  );
}

/** A titled panel. */
export const card = (title, ...body) =>
  h('section', { class: 'card' }, title ? h('h2', {}, title) : null, ...body);

/** A figure with its label: "1,204 / tickets booked". */
export const stat = (label, value, hint) =>
  h(
    'div',
    { class: 'stat' },
    h('div', { class: 'stat-value' }, value),
    h('div', { class: 'stat-label' }, label),
    hint ? h('div', { class: 'stat-hint' }, hint) : null,
  );
