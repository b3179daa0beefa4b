// Bookings and cancellations per day (GET /admin/analytics/daily) as a bar chart, in a time
// zone the admin picks. Chart.js comes from the service itself (/admin/console/chart.umd.min.js).
import { get } from './api.js';
import { card, h } from './dom.js';

const ZONE_KEY = 'evently.console.timeZone';
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
const ZONES = [
  ...new Set([
    browserZone,
    'UTC',
    'Europe/London',
    'Europe/Berlin',
    'America/New_York',
    'America/Los_Angeles',
    'Asia/Kolkata',
    'Asia/Tokyo',
    'Australia/Sydney',
  ]),
];
const RANGES = [14, 30, 90];

/** Today's calendar date in `timeZone`, as YYYY-MM-DD. */
const today = (timeZone) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date());

function daysBefore(date, days) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

export function dailyChart() {
  let timeZone = localStorage.getItem(ZONE_KEY) || browserZone;
  if (!ZONES.includes(timeZone)) timeZone = browserZone;
  let days = 30;
  const canvas = h('canvas', { 'aria-label': 'Bookings and cancellations per day', role: 'img' });
  const total = h('span', { class: 'muted' });
  let chart = null;

  const zoneSelect = h(
    'select',
    {
      'aria-label': 'Time zone',
      onchange: (e) => {
        timeZone = e.target.value;
        localStorage.setItem(ZONE_KEY, timeZone);
        refresh();
      },
    },
    ZONES.map((z) => h('option', { value: z, selected: z === timeZone }, z)),
  );
  const rangeSelect = h(
    'select',
    {
      'aria-label': 'Days shown',
      onchange: (e) => {
        days = Number(e.target.value);
        refresh();
      },
    },
    RANGES.map((n) => h('option', { value: n, selected: n === days }, `Last ${n} days`)),
  );

  async function refresh() {
    const to = today(timeZone);
    const report = await get('/admin/analytics/daily', { from: daysBefore(to, days - 1), to, tz: timeZone });
    const labels = report.data.map((d) => d.date.slice(5));
    const tickets = report.data.map((d) => d.tickets);
    const cancelled = report.data.map((d) => d.cancelledTickets);
    total.textContent = `${tickets.reduce((a, b) => a + b, 0)} tickets sold, ${cancelled.reduce((a, b) => a + b, 0)} cancelled`;
    if (!chart) {
      chart = new window.Chart(canvas, {
        type: 'bar',
        data: {
          labels,
          datasets: [
            { label: 'Tickets booked', data: tickets, backgroundColor: '#2563eb', borderRadius: 3 },
            { label: 'Tickets cancelled', data: cancelled, backgroundColor: '#f97316', borderRadius: 3 },
          ],
        },
        options: {
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: 'index', intersect: false },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { grid: { display: false } } },
          plugins: { legend: { position: 'bottom' } },
        },
      });
    } else {
      chart.data.labels = labels;
      chart.data.datasets[0].data = tickets;
      chart.data.datasets[1].data = cancelled;
      chart.update('none');
    }
  }

  const element = card(
    'Bookings per day',
    h('div', { class: 'card-tools' }, rangeSelect, zoneSelect, total),
    h('div', { class: 'chart-box' }, canvas),
  );
  return { element, refresh, stop: () => chart?.destroy() };
}
