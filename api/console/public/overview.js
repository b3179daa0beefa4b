// The overview: today's totals, bookings per day, the most booked events, and the events on
// sale (or in another status) with their sales progress, queue depth and waitlist, a page at a
// time (searchable by name), so ten thousand events cost no more than twenty.
import { get } from './api.js';
import { dailyChart } from './daily-chart.js';
import { card, fill, h, num, percent, pill, progress, relative, stat, table, when } from './dom.js';
import { debounce, Pager } from './pager.js';

const STATUSES = [
  ['on_sale', 'On sale'],
  ['draft', 'Drafts'],
  ['started', 'Started'],
  ['ended', 'Ended'],
  ['completed', 'Completed'],
  ['cancelled', 'Cancelled'],
];

const eventLink = (event) => h('a', { href: `#/events/${event.id}`, class: 'event-link' }, event.name);

function summaryStats(s) {
  return [
    stat('tickets booked', num(s.confirmedTickets), `${num(s.confirmedBookings)} bookings`),
    stat('seats held', num(s.held), 'in checkout'),
    stat('waiting in line', num(s.waitlisted), 'waitlist entries'),
    stat('requests queued', num(s.pendingRequests), 'not decided yet'),
    stat(
      'cancellation rate',
      percent(s.cancelledBookings, s.totalBookings),
      `${num(s.cancelledBookings)} cancelled`,
    ),
  ];
}

function popularList(events) {
  if (events.length === 0) return h('p', { class: 'empty' }, 'No bookings yet.');
  return h(
    'ol',
    { class: 'popular' },
    events.map((e) =>
      h(
        'li',
        {},
        h(
          'div',
          { class: 'popular-head' },
          eventLink(e),
          h('div', { class: 'muted small' }, `${e.venue} · ${when(e.startsAt)}`),
        ),
        progress(e),
      ),
    ),
  );
}

function eventRows(events) {
  return events.map((e) => [
    h('div', {}, eventLink(e), h('div', { class: 'muted small' }, e.venue)),
    h('div', {}, when(e.startsAt), h('div', { class: 'muted small' }, relative(e.startsAt))),
    pill(e.status),
    progress(e),
    h('span', { class: e.pendingRequests > 0 ? 'figure busy' : 'figure' }, num(e.pendingRequests)),
    h('span', { class: 'figure' }, num(e.waitlisted)),
  ]);
}

export async function overviewPage(view) {
  const stats = h('div', { class: 'stats' });
  const popular = h('div');
  const events = h('div');
  const chart = dailyChart();
  let status = 'on_sale';
  let search = '';
  const pager = new Pager(() => loadEvents());

  async function loadEvents() {
    const page = await get('/admin/events', { status, q: search, limit: 20, cursor: pager.cursor });
    pager.next = page.next;
    fill(
      events,
      table(
        ['Event', 'Starts', 'Status', 'Sales (booked · held · capacity)', 'Queued', 'Waitlist'],
        eventRows(page.data),
        search ? 'No event matches.' : 'No events in this list.',
      ),
      pager.controls(),
    );
  }

  const searchBox = h('input', {
    type: 'search',
    placeholder: 'Search events by name',
    'aria-label': 'Search events by name',
    oninput: debounce((e) => {
      search = e.target.value.trim();
      pager.reset();
      loadEvents();
    }),
  });
  const statusSelect = h(
    'select',
    {
      'aria-label': 'Event status',
      onchange: (e) => {
        status = e.target.value;
        pager.reset();
        loadEvents();
      },
    },
    STATUSES.map(([value, label]) => h('option', { value }, label)),
  );

  async function refresh() {
    const [summary, top] = await Promise.all([
      get('/admin/analytics/summary'),
      get('/admin/analytics/events', { sort: 'booked', limit: 5 }),
      loadEvents(),
      chart.refresh(),
    ]);
    fill(stats, summaryStats(summary));
    fill(popular, popularList(top.data.filter((e) => e.booked > 0)));
  }

  fill(
    view,
    h('h1', {}, 'Overview'),
    stats,
    h('div', { class: 'grid-2' }, chart.element, card('Most booked events', popular)),
    card('Events', h('div', { class: 'card-tools' }, searchBox, statusSelect), events),
  );
  await refresh();
  return { refresh, stop: chart.stop };
}
