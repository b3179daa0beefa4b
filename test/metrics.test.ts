import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { freePort, useTestApi } from './support/environment.js';
import { book, queueBooking } from './support/factory.js';
import {
  DEFAULT_WAIT_MS,
  outcomeOf,
  startInProcessWorker,
  startWorkerProcess,
  waitFor,
} from './support/harness.js';
import { expectApiError } from './support/http.js';

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of one metric in Prometheus text format. */
function samples(text: string, name: string): Sample[] {
  const found: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    found.push({ labels, value: Number(match[3]) });
  }
  return found;
}

/** The value of the sample of `name` whose labels include `labels`, if there is one. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return samples(text, name).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

const METRICS_TOKEN = 'metrics-token-for-the-tests';

describe('Prometheus metrics', () => {
  const api = useTestApi({ METRICS_TOKEN });
  let admin: Actor;
  let user: Actor;

  const scrape = async () => {
    const res = await request(api.baseUrl).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({
      status: 200,
      type: expect.stringMatching(/^text\/plain; version=0\.0\.4/),
    });
    return res.text;
  };

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    user = await registerUser(api.baseUrl);
  });

  test('GET /metrics needs METRICS_TOKEN as a bearer token when it is set', async () => {
    expectApiError(await request(api.baseUrl).get('/metrics'), 401, 'unauthorized');
    expectApiError(
      await request(api.baseUrl).get('/metrics').set('Authorization', 'Bearer not-the-metrics-token'),
      401,
      'unauthorized',
    );
    // A user's JWT is not the metrics token either.
    expectApiError(await request(api.baseUrl).get('/metrics').set(user.auth), 401, 'unauthorized');
    expect(await scrape()).toContain('process_cpu_user_seconds_total');
  });

  test('after a booking is decided: HTTP durations by route template, the decision, its latency, queue depth, webhooks', async () => {
    const event = await createEvent(api.baseUrl, admin);
    const requestId = await queueBooking(api, user, event.id, { quantity: 2 });

    // No worker yet: the job waits in the event's queue, and the depth gauge says so.
    const waiting = await scrape();
    expect(sample(waiting, 'evently_queue_waiting_jobs', { event: event.id })).toBe(1);
    expect(sample(waiting, 'evently_active_events')).toBeGreaterThanOrEqual(1);

    const worker = await startInProcessWorker(api.config);
    try {
      const decided = await outcomeOf(api.baseUrl, user, requestId);
      expect(decided.status).toBe('confirmed');
      // The worker counts the batch right after it tells waiting clients, so wait for the count.
      const text = await waitFor(
        async () => {
          const body = await scrape();
          return (sample(body, 'evently_bookings_decided_total', { outcome: 'confirmed' }) ?? 0) >= 1 && body;
        },
        DEFAULT_WAIT_MS,
        'the confirmed booking to be counted',
      );

      const http = 'evently_http_request_duration_seconds_count';
      expect(sample(text, http, { method: 'POST', route: '/events/:id/bookings', status_code: '202' })).toBe(
        1,
      );
      expect(
        sample(text, http, { method: 'GET', route: '/booking-requests/:id', status_code: '200' }),
      ).toBeGreaterThanOrEqual(1);
      expect(sample(text, http, { method: 'GET', route: '/metrics', status_code: '401' })).toBe(3);
      // Label values are templates: no id of an event, request or user ever becomes a label.
      const routes = samples(text, http).map((s) => s.labels.route);
      expect(routes.filter((r) => /[0-9a-f]{8}-[0-9a-f]{4}/.test(r ?? ''))).toEqual([]);
      const decisions = samples(text, 'evently_bookings_decided_total').map((s) => s.labels.outcome);
      expect(decisions.sort()).toEqual(['cancelled', 'confirmed', 'rejected']);

      expect(sample(text, 'evently_decision_latency_seconds_count')).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'evently_decision_latency_seconds_bucket', { le: '+Inf' })).toBeGreaterThanOrEqual(
        1,
      );
      // Deliveries by result, present from the start (at 0 here: this file relays no webhooks).
      expect(samples(text, 'evently_webhook_deliveries_total').map((s) => s.labels.result)).toEqual(
        expect.arrayContaining(['delivered', 'retrying', 'failed']),
      );
      // The job has left the queue; the event may stay in the active set until its Worker idles.
      expect(sample(text, 'evently_queue_waiting_jobs', { event: event.id }) ?? 0).toBe(0);
    } finally {
      await worker.close();
    }
  });

  test('requests refused before routing are labelled with the route they asked for', async () => {
    const event = await createEvent(api.baseUrl, admin);
    const bookings = () => request(api.baseUrl).post(`/events/${event.id}/bookings`).set(user.auth);
    expect((await bookings().set('Content-Type', 'text/plain').send('two seats')).status).toBe(415);
    expect((await bookings().set('Content-Type', 'application/json').send('{"quantity":')).status).toBe(400);
    const tooLarge = await bookings()
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ quantity: 1, pad: 'x'.repeat(api.config.bodyLimitKb * 1024) }));
    expect(tooLarge.status).toBe(413);
    // A path that is a route, with a method it does not take, and one that is no route at all.
    expect((await request(api.baseUrl).put(`/events/${event.id}/bookings`).set(user.auth)).status).toBe(405);
    expect((await request(api.baseUrl).get(`/no-such-route/${event.id}`)).status).toBe(404);

    const text = await scrape();
    const http = 'evently_http_request_duration_seconds_count';
    const route = '/events/:id/bookings';
    expect(sample(text, http, { method: 'POST', route, status_code: '415' })).toBe(1);
    expect(sample(text, http, { method: 'POST', route, status_code: '400' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, http, { method: 'POST', route, status_code: '413' })).toBe(1);
    expect(sample(text, http, { method: 'PUT', route, status_code: '405' })).toBe(1);
    expect(
      sample(text, http, { method: 'GET', route: 'unmatched', status_code: '404' }),
    ).toBeGreaterThanOrEqual(1);
    const routes = samples(text, http).map((s) => s.labels.route);
    expect(routes.filter((r) => /[0-9a-f]{8}-[0-9a-f]{4}/.test(r ?? ''))).toEqual([]);
  });

  test('the backlogs (outbox, webhook deliveries, emails) and the oldest queued request per event, read at scrape time', async () => {
    const { sequelize } = api.deps;
    const event = await createEvent(api.baseUrl, admin);
    // No worker: the request stays queued; it is made to look two minutes old.
    const queuedId = await queueBooking(api, user, event.id, { quantity: 1 });
    await sequelize.query(
      `UPDATE booking_requests SET queued_at = now() - interval '120 seconds' WHERE id = $queuedId`,
      {
        bind: { queuedId },
      },
    );
    // An outbox message (new), a delivery of it two hours old, a notification three hours old.
    const [outbox] = await sequelize.query<{ id: string }>(
      `INSERT INTO webhook_outbox (message_id, type, event_id, user_id, payload, ordering_key, audience, created_at)
       VALUES ('msg_' || gen_random_uuid(), 'booking.confirmed', $eventId, $userId, '{}', $queuedId, 'owner',
               now())
       RETURNING id`,
      { bind: { eventId: event.id, userId: user.id, queuedId }, type: QueryTypes.SELECT },
    );
    const [endpoint] = await sequelize.query<{ id: string }>(
      `INSERT INTO webhook_endpoints (user_id, url, event_types, secrets)
       VALUES ($userId, 'https://partner.example/hooks', '{booking.confirmed}', '[]') RETURNING id`,
      { bind: { userId: admin.id }, type: QueryTypes.SELECT },
    );
    await sequelize.query(
      `INSERT INTO webhook_deliveries (endpoint_id, outbox_id, ordering_key, created_at)
       VALUES ($endpointId, $outboxId, $queuedId, now() - interval '2 hours')`,
      { bind: { endpointId: endpoint!.id, outboxId: outbox!.id, queuedId } },
    );
    await sequelize.query(
      `INSERT INTO email_notifications (kind, user_id, event_id, outbox_id, message_id, created_at)
       VALUES ('booking_confirmed', $userId, $eventId, $outboxId, gen_random_uuid() || '@evently.test',
               now() - interval '3 hours')`,
      { bind: { userId: user.id, eventId: event.id, outboxId: outbox!.id } },
    );
    try {
      // What the gauges must say, from the rows themselves (the outbox may hold older messages).
      const [truth] = await sequelize.query<Record<string, number>>(
        // The outbox's oldest is its first unrelayed message in outbox order (another file may have
        // written a row with an older created_at after it).
        `SELECT (SELECT EXTRACT(EPOCH FROM now() - created_at) FROM webhook_outbox WHERE relayed_at IS NULL
                  ORDER BY id LIMIT 1)::float8 AS outbox,
                (SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM webhook_deliveries WHERE status = 'pending')::float8
                  AS webhook_deliveries,
                (SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM email_notifications WHERE status = 'pending')::float8
                  AS email_notifications`,
        { type: QueryTypes.SELECT },
      );
      const text = await scrape();
      for (const [backlog, atLeast] of [
        ['outbox', 0],
        ['webhook_deliveries', 7200],
        ['email_notifications', 10800],
      ] as const) {
        expect(sample(text, 'evently_backlog_items', { backlog })).toBeGreaterThanOrEqual(1);
        const age = sample(text, 'evently_backlog_oldest_age_seconds', { backlog })!;
        expect(age).toBeGreaterThanOrEqual(Math.max(atLeast, truth![backlog]! - 1));
        expect(age).toBeLessThan(truth![backlog]! + 60);
      }
      const queuedAge = sample(text, 'evently_queued_request_oldest_age_seconds', { event: event.id });
      expect(queuedAge).toBeGreaterThanOrEqual(120);
      expect(queuedAge).toBeLessThan(3600);
      // Each series once: read by the process that answers the scrape, never summed across processes.
      expect(text.match(/^# TYPE evently_backlog_items gauge$/gm)).toHaveLength(1);
    } finally {
      // Done, so no other file's relay or sender takes them up.
      const bind = { outboxId: outbox!.id, endpointId: endpoint!.id };
      for (const sql of [
        'DELETE FROM email_notifications WHERE outbox_id = $outboxId',
        'DELETE FROM webhook_deliveries WHERE outbox_id = $outboxId',
        `UPDATE webhook_endpoints SET deleted_at = now(), status = 'disabled' WHERE id = $endpointId`,
        'UPDATE webhook_outbox SET relayed_at = now() WHERE id = $outboxId',
      ]) {
        await sequelize.query(sql, {
          bind: Object.fromEntries(Object.entries(bind).filter(([k]) => sql.includes(`$${k}`))),
        });
      }
    }
  });

  test('a worker process serves its own series on WORKER_METRICS_PORT, and no API there', async () => {
    const port = await freePort();
    const worker = await startWorkerProcess({ ...api.env, WORKER_METRICS_PORT: String(port) });
    try {
      const event = await createEvent(api.baseUrl, admin);
      const decided = await book(api, user, event.id, { quantity: 1 });
      expect(decided.status).toBe('confirmed');

      const workerMetrics = `http://127.0.0.1:${port}`;
      const refused = await request(workerMetrics).get('/metrics');
      expect(refused.status).toBe(401);
      const text = await waitFor(
        async () => {
          const res = await request(workerMetrics)
            .get('/metrics')
            .set('Authorization', `Bearer ${METRICS_TOKEN}`);
          return (
            (sample(res.text, 'evently_bookings_decided_total', { outcome: 'confirmed' }) ?? 0) >= 1 &&
            res.text
          );
        },
        DEFAULT_WAIT_MS,
        'the worker to count its decision',
      );
      expect(sample(text, 'evently_decision_latency_seconds_count')).toBeGreaterThanOrEqual(1);
      expect(text).toContain('process_resident_memory_bytes');
      // The worker's listener is for scrapes only: it serves neither the API nor HTTP metrics.
      expect(text).not.toContain('evently_http_request_duration_seconds');
      expect((await request(workerMetrics).get('/health/live')).status).toBe(404);
      expect((await request(workerMetrics).post('/metrics')).status).toBe(405);
    } finally {
      expect(await worker.stop()).toBe(0);
    }
  });
});

describe('Prometheus metrics in production without METRICS_TOKEN', () => {
  const api = useTestApi({ NODE_ENV: 'production', JWT_SECRET: 'Vq3xT9pLm2Rk7Zs4Wc8Yn1Hb6Jd5Fg0a' });

  test('GET /metrics is closed: its series name event ids, drafts included', async () => {
    expectApiError(await request(api.baseUrl).get('/metrics'), 403, 'forbidden');
    expectApiError(
      await request(api.baseUrl).get('/metrics').set('Authorization', 'Bearer anything'),
      403,
      'forbidden',
    );
  });
});
