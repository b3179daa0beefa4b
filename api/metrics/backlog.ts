import { Gauge } from 'prom-client';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Logger } from '../../shared/logger.js';
import { scrapeTimeRegistry } from '../../shared/metrics.js';
// The same cap as the waiting jobs' gauge: events beyond it share `event="other"` (here, their oldest).
import { LABELLED_EVENTS } from './waiting-jobs.js';

/** Events with queued requests read per scrape at most (one index probe each). */
const EXAMINED_EVENTS = 5000;
/** Items of one backlog counted at most: a count stays cheap however deep the backlog. */
export const COUNTED_ITEMS = 100_000;
/** A scrape's statement never holds an API connection longer than this. */
const STATEMENT_TIMEOUT_MS = 2000;

/**
 * The backlogs: what the outbox relay, the webhook deliveries and the email sending still have
 * to do. The label names the table: `outbox` (messages not yet relayed), `webhook_deliveries`
 * (pending deliveries, retries waiting included), `email_notifications` (pending notifications).
 */
const BACKLOGS = ['outbox', 'webhook_deliveries', 'email_notifications'] as const;
type Backlog = (typeof BACKLOGS)[number];

export interface BacklogSource {
  sequelize: Sequelize;
  logger: Logger;
}

interface Reading {
  backlogs: Record<Backlog, { items: number; oldestAge: number }>;
  /** Age of each event's oldest queued request (the head of its line), oldest first. */
  heads: { eventId: string; age: number }[];
}

let source: BacklogSource | undefined;

/** One reading serves the three gauges of a scrape (prom-client collects them concurrently). */
let reading: Promise<Reading | null> | undefined;
function readOnce(): Promise<Reading | null> {
  reading ??= (source ? read(source.sequelize) : Promise.resolve(null))
    .catch((err) => {
      // PostgreSQL down: no backlog series in this scrape rather than stale ones or a failed scrape.
      source?.logger.warn({ err }, 'could not read the backlogs for metrics');
      return null;
    })
    .finally(() => {
      reading = undefined;
    });
  return reading;
}

/**
 * One transaction, a few index probes: each backlog's oldest item is the first entry of a partial
 * index (`webhook_outbox_unrelayed_idx` in id order; `webhook_deliveries_pending_created_idx` and
 * `email_notifications_pending_created_idx`, 0018), its count a scan of that index capped at
 * COUNTED_ITEMS; the heads of the lines are a skip scan of `booking_requests_queued_idx`
 * (event_id, seq), one probe per event with queued requests.
 */
async function read(sequelize: Sequelize): Promise<Reading> {
  return sequelize.transaction(async (transaction) => {
    await sequelize.query(`SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_MS}`, { transaction });
    const [row] = await sequelize.query<Record<string, number | null>>(
      `SELECT
         (SELECT count(*) FROM (SELECT 1 FROM webhook_outbox WHERE relayed_at IS NULL LIMIT $cap) x)::int AS outbox_items,
         (SELECT EXTRACT(EPOCH FROM now() - created_at) FROM webhook_outbox
           WHERE relayed_at IS NULL ORDER BY id LIMIT 1)::float8 AS outbox_age,
         (SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries WHERE status = 'pending' LIMIT $cap) x)::int
           AS webhook_deliveries_items,
         (SELECT EXTRACT(EPOCH FROM now() - created_at) FROM webhook_deliveries
           WHERE status = 'pending' ORDER BY created_at LIMIT 1)::float8 AS webhook_deliveries_age,
         (SELECT count(*) FROM (SELECT 1 FROM email_notifications WHERE status = 'pending' LIMIT $cap) x)::int
           AS email_notifications_items,
         (SELECT EXTRACT(EPOCH FROM now() - created_at) FROM email_notifications
           WHERE status = 'pending' ORDER BY created_at LIMIT 1)::float8 AS email_notifications_age`,
      { bind: { cap: COUNTED_ITEMS }, transaction, type: QueryTypes.SELECT },
    );
    const heads = await sequelize.query<{ eventId: string; age: number }>(
      `WITH RECURSIVE heads AS (
         (SELECT event_id, queued_at FROM booking_requests WHERE status = 'queued' ORDER BY event_id, seq LIMIT 1)
         UNION ALL
         SELECT n.event_id, n.queued_at FROM heads h CROSS JOIN LATERAL (
           SELECT event_id, queued_at FROM booking_requests
            WHERE status = 'queued' AND event_id > h.event_id ORDER BY event_id, seq LIMIT 1) n
       )
       SELECT event_id AS "eventId", GREATEST(0, EXTRACT(EPOCH FROM now() - queued_at))::float8 AS age
         FROM heads LIMIT $examined`,
      { bind: { examined: EXAMINED_EVENTS }, transaction, type: QueryTypes.SELECT },
    );
    const backlog = (name: Backlog) => ({
      items: Number(row![`${name}_items`] ?? 0),
      // An empty backlog is 0 s old; a clock a little ahead of the database's is not negative.
      oldestAge: Math.max(0, Number(row![`${name}_age`] ?? 0)),
    });
    return {
      backlogs: {
        outbox: backlog('outbox'),
        webhook_deliveries: backlog('webhook_deliveries'),
        email_notifications: backlog('email_notifications'),
      },
      heads: heads.map((h) => ({ eventId: h.eventId, age: Number(h.age) })).sort((a, b) => b.age - a.age),
    };
  });
}

function gauges(): void {
  if (scrapeTimeRegistry.getSingleMetric('evently_backlog_items')) return;
  new Gauge({
    name: 'evently_backlog_items',
    help: `Items not yet done, by backlog: outbox messages not relayed, pending webhook deliveries, pending email notifications (counted up to ${COUNTED_ITEMS})`,
    labelNames: ['backlog'],
    registers: [scrapeTimeRegistry],
    async collect() {
      this.reset();
      const read = await readOnce();
      if (read) for (const backlog of BACKLOGS) this.set({ backlog }, read.backlogs[backlog].items);
    },
  });
  new Gauge({
    name: 'evently_backlog_oldest_age_seconds',
    help: 'Age of the oldest item not yet done, by backlog (0 when empty)',
    labelNames: ['backlog'],
    registers: [scrapeTimeRegistry],
    async collect() {
      this.reset();
      const read = await readOnce();
      if (read) for (const backlog of BACKLOGS) this.set({ backlog }, read.backlogs[backlog].oldestAge);
    },
  });
  new Gauge({
    name: 'evently_queued_request_oldest_age_seconds',
    help: `Age of each event's oldest queued booking request; beyond the ${LABELLED_EVENTS} oldest, the oldest of the rest as event="other"`,
    labelNames: ['event'],
    registers: [scrapeTimeRegistry],
    async collect() {
      this.reset();
      const read = await readOnce();
      if (!read) return;
      for (const { eventId, age } of read.heads.slice(0, LABELLED_EVENTS)) this.set({ event: eventId }, age);
      const rest = read.heads[LABELLED_EVENTS];
      if (rest) this.set({ event: 'other' }, rest.age);
    },
  });
}

/**
 * Reads the backlogs through this pool from now on. The gauges are registered once however
 * many apps a process builds (tests build several).
 */
export function observeBacklogs(from: BacklogSource): void {
  gauges();
  source = from;
}
