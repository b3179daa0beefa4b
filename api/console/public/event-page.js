// One event: its sales and live queue, its attendees (searchable by email or reference, a page
// at a time, so 100,000 bookings cost no more than 25), its active holds by expiry, its waitlist
// in line order, and the attendee list as CSV.
import { get, withQuery } from './api.js';
import { card, fill, h, num, pill, progress, relative, stat, table, when } from './dom.js';
import { debounce, Pager } from './pager.js';

const person = (user) =>
  user
    ? h('div', {}, h('div', {}, user.name), h('div', { class: 'muted small' }, user.email))
    : h('span', { class: 'muted' }, 'deleted user');

const seatsOf = (seats) =>
  seats?.length ? seats.map((s) => `${s.section} ${s.row}-${s.number}`).join(', ') : '–';
const reference = (ref) => (ref ? h('code', {}, ref) : h('span', { class: 'muted' }, '–'));

/** The event queue's figures; an event whose queue has no pending work is not listed: idle. */
function queueFigures(queue) {
  const q = queue ?? { waiting: 0, active: 0, oldestWaitingMs: null, decidedPerMinute: 0, failed: 0 };
  const oldest = q.oldestWaitingMs === null ? '–' : `${(q.oldestWaitingMs / 1000).toFixed(1)} s`;
  return [
    h(
      'p',
      { class: 'muted' },
      queue ? 'Booking requests are being decided.' : 'Idle: no booking request is waiting for this event.',
    ),
    h(
      'div',
      { class: 'stats stats-compact queue-stats' },
      stat('jobs waiting', num(q.waiting)),
      stat('being decided', num(q.active)),
      stat('oldest waiting', oldest),
      stat('decided / min', num(q.decidedPerMinute)),
    ),
  ];
}

export async function eventPage(view, { params: [id] }) {
  const base = `/admin/events/${id}`;
  const header = h('div', { class: 'page-head' });
  const sales = h('div');
  const queue = h('div');
  const attendees = h('div');
  const holds = h('div');
  const waitlist = h('div');
  const csv = h('a', { class: 'button', download: true }, 'Download CSV');
  const filters = { q: '', status: '' };
  const attendeePager = new Pager(() => loadAttendees());
  const holdPager = new Pager(() => loadHolds());
  const linePager = new Pager(() => loadWaitlist());

  async function loadEvent() {
    const [event, stats] = await Promise.all([get(base), get('/admin/queues/stats', { limit: 1000 })]);
    fill(
      header,
      h('a', { href: '#/', class: 'back' }, '← Overview'),
      h('h1', {}, event.name, ' ', pill(event.status)),
      h('p', { class: 'muted' }, `${event.venue} · ${when(event.startsAt)} (${relative(event.startsAt)})`),
    );
    fill(
      sales,
      progress(event),
      h(
        'div',
        { class: 'stats stats-compact' },
        stat('capacity', num(event.capacity)),
        stat('booked', num(event.booked)),
        stat('held', num(event.held)),
        stat('available', num(event.available)),
        stat('waiting in line', num(event.waitlisted), `${num(event.waitlistedTickets)} tickets`),
        stat('requests queued', num(event.pendingRequests)),
      ),
    );
    fill(queue, queueFigures(stats.queues.find((q) => q.eventId === id)));
  }

  async function loadAttendees() {
    const query = { q: filters.q, status: filters.status };
    csv.setAttribute('href', withQuery(`${base}/bookings.csv`, query));
    const page = await get(`${base}/bookings`, { ...query, limit: 25, cursor: attendeePager.cursor });
    attendeePager.next = page.next;
    fill(
      attendees,
      table(
        ['Attendee', 'Reference', 'Tickets', 'Seats', 'Status', 'Booked'],
        page.data.map((b) => [
          person(b.user),
          reference(b.externalReference),
          num(b.quantity),
          seatsOf(b.seats),
          pill(b.status),
          when(b.createdAt),
        ]),
        filters.q ? 'No attendee matches.' : 'No bookings yet.',
      ),
      attendeePager.controls(),
    );
  }

  async function loadHolds() {
    const page = await get(`${base}/holds`, { limit: 10, cursor: holdPager.cursor });
    holdPager.next = page.next;
    fill(
      holds,
      table(
        ['Holder', 'Tickets', 'Expires', 'Reference'],
        page.data.map((x) => [
          person(x.user),
          num(x.quantity),
          h('span', { title: when(x.expiresAt), class: 'nowrap' }, relative(x.expiresAt)),
          reference(x.externalReference),
        ]),
        'No active holds.',
      ),
      holdPager.controls(),
    );
  }

  async function loadWaitlist() {
    const page = await get(`${base}/waitlist`, { limit: 10, cursor: linePager.cursor });
    linePager.next = page.next;
    fill(
      waitlist,
      table(
        ['#', 'Person', 'Tickets', 'Waiting since'],
        page.data.map((e) => [
          num(e.position),
          person(e.user),
          e.minQuantity < e.quantity ? `${e.minQuantity}–${e.quantity}` : num(e.quantity),
          relative(e.createdAt),
        ]),
        'Nobody is waiting.',
      ),
      linePager.controls(),
    );
  }

  const search = h('input', {
    type: 'search',
    placeholder: 'Search by email or reference',
    'aria-label': 'Search attendees by email or reference',
    oninput: debounce((e) => {
      filters.q = e.target.value.trim();
      attendeePager.reset();
      loadAttendees();
    }),
  });
  const status = h(
    'select',
    {
      'aria-label': 'Booking status',
      onchange: (e) => {
        filters.status = e.target.value;
        attendeePager.reset();
        loadAttendees();
      },
    },
    h('option', { value: '' }, 'All bookings'),
    h('option', { value: 'confirmed' }, 'Confirmed'),
    h('option', { value: 'cancelled' }, 'Cancelled'),
  );

  // A section that fails says so in its own card; the rest of the page stays up to date.
  const guarded = (el, load) => () =>
    load().catch((err) => {
      if (err.status === 401) throw err;
      fill(el, h('p', { class: 'error' }, err.message));
    });
  const refresh = () =>
    Promise.all([
      loadEvent(),
      guarded(attendees, loadAttendees)(),
      guarded(holds, loadHolds)(),
      guarded(waitlist, loadWaitlist)(),
    ]);

  fill(
    view,
    header,
    h('div', { class: 'grid-2' }, card('Sales', sales), card('Live queue', queue)),
    card('Attendees', h('div', { class: 'card-tools' }, search, status, csv), attendees),
    h(
      'div',
      { class: 'grid-2 even' },
      card('Holds, soonest to expire first', holds),
      card('Waitlist, in line order', waitlist),
    ),
  );
  await refresh();
  return { refresh };
}
