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
