// The console's shell: picks the view from the URL's fragment (#/, #/events/<id>, #/users),
// refreshes it every few seconds while the tab is visible, and shows errors in one place.
import { eventPage } from './event-page.js';
import { overviewPage } from './overview.js';
import { usersPage } from './users.js';

const REFRESH_MS = 5000;
const view = document.getElementById('view');
const flashBox = document.getElementById('flash');
const live = document.getElementById('live');

/** Shows a message above the page (an API error, a confirmation) until the next one or a click. */
export function flash(message, kind = 'error') {
  flashBox.textContent = message;
  flashBox.className = `flash flash-${kind}`;
  flashBox.hidden = false;
}
flashBox.addEventListener('click', () => {
  flashBox.hidden = true;
});

const routes = [
  { pattern: /^#?\/?$/, nav: 'overview', mount: () => overviewPage },
  { pattern: /^#\/events\/([0-9a-f-]{36})$/i, nav: 'overview', mount: () => eventPage },
  { pattern: /^#\/users$/, nav: 'users', mount: () => usersPage },
];

/** The view on screen: its `refresh()` (polled) and `stop()`. */
let current = null;
let timer = null;
let refreshing = false;

async function refresh() {
  if (!current?.refresh || refreshing) return;
  refreshing = true;
  try {
    await current.refresh();
    live.classList.remove('live-stale');
  } catch (err) {
    live.classList.add('live-stale');
    flash(err.message);
  } finally {
    refreshing = false;
  }
}

/** Polls only while the page is visible: a hidden tab costs the server nothing. */
function schedule() {
  clearInterval(timer);
  timer = null;
  if (document.visibilityState === 'visible' && current?.refresh) timer = setInterval(refresh, REFRESH_MS);
  live.hidden = !timer;
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') refresh();
  schedule();
});

async function route() {
  current?.stop?.();
  current = null;
  flashBox.hidden = true;
  const hash = window.location.hash;
  const match = routes.map((r) => ({ r, m: r.pattern.exec(hash) })).find((x) => x.m);
  for (const link of document.querySelectorAll('[data-nav]')) {
    link.classList.toggle('active', link.dataset.nav === match?.r.nav);
  }
  view.replaceChildren();
  if (!match) {
    view.textContent = 'No such page.';
    schedule();
    return;
  }
  const page = match.r.mount();
  try {
    current = await page(view, { params: match.m.slice(1), flash });
  } catch (err) {
    flash(err.message);
  }
  schedule();
}

window.addEventListener('hashchange', route);
route();
