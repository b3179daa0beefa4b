import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { QueryTypes } from 'sequelize';
import { createLogger } from '../shared/logger.js';
import { startTracing, type Tracing } from '../shared/tracing/index.js';
import type { Actor } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { createActor, createEvent, registerUser } from './support/factory.js';
import { outcomeOf, waitFor } from './support/harness.js';
import { emailTestEnv, SmtpReceiver } from './support/smtp-receiver.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

/** A client's own span: the trace it asks the service to continue. */
function clientSpan() {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

const traceparentOf = (span: ReadableSpan) =>
  `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

/** Starts tracing in this process as bin/lifecycle.ts does, exporting to memory. */
function useInMemoryTracing(): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  beforeAll(async () => {
    tracing = await startTracing({ exporters: [] }, 'evently-test', createLogger('silent', 'test'), [
      new SimpleSpanProcessor(exporter),
    ]);
    expect(tracing.enabled).toBe(true);
  });
  afterAll(() => tracing.shutdown());
  return exporter;
}

const WEBHOOK_TYPES = [
  'booking.confirmed',
  'booking.cancelled',
  'booking.waitlisted',
  'waitlist.promoted',
  'hold.created',
  'hold.confirmed',
];

describe('one booking, one trace: HTTP request, intake, allocation, webhook and email', () => {
  const smtp = new SmtpReceiver();
  const partner = new WebhookReceiver();
  beforeAll(async () => {
    await smtp.start();
    await partner.start();
  });
  const api = useTestApi(
    () => ({
      ...emailTestEnv(smtp),
      WEBHOOK_ALLOW_PRIVATE: new URL(partner.baseUrl).host,
      WEBHOOK_RETRY_SCHEDULE: Array(20).fill('0.2').join(','),
    }),
    {
      workers: 'in-process',
      // The receiver goes away with this file: so do its endpoints, for later runs on this database.
      beforeStop: async () => {
        await api.deps.sequelize.query(
          `UPDATE webhook_endpoints SET status = 'disabled', deleted_at = now() WHERE url LIKE $prefix || '%'`,
          { bind: { prefix: partner.baseUrl } },
        );
      },
    },
  );
  afterAll(async () => {
    await partner.stop();
    await smtp.stop();
  });

  let admin: Actor;
  /** The admin, and its endpoint: an admin's receives every message (docs/architecture.md, Webhook pipeline). */
  beforeEach(async () => {
    if (admin) return;
    admin = await createActor(api.baseUrl, 'admin');
    const res = await api
      .http()
      .post('/webhook-endpoints')
      .set(admin.auth)
      .send({ url: `${partner.baseUrl}/hooks`, eventTypes: WEBHOOK_TYPES });
    expect(res.status).toBe(201);
  });

  /** Submits as `actor` with the client's `traceparent`; the booking request's id. */
  async function submit(actor: Actor, path: string, traceparent: string, body: object = {}) {
    const res = await api.http().post(path).set(actor.auth).set('traceparent', traceparent).send(body);
    expect(res.status).toBe(202);
    return res.body.id as string;
  }

  const storedContext = async (table: 'booking_requests' | 'webhook_outbox', where: string, id: string) => {
    const rows = await api.deps.sequelize.query<{ traceContext: string | null }>(
      `SELECT trace_context AS "traceContext" FROM ${table} WHERE ${where} = $id`,
      { bind: { id }, type: QueryTypes.SELECT },
    );
    expect(rows).toHaveLength(1);
    return rows[0]!.traceContext;
  };
  const outboxContext = (type: string, requestId: string) =>
    storedContext('webhook_outbox', `type = '${type}' AND payload #>> '{data,bookingRequest,id}'`, requestId);

  /** The partner's arrival of the message of `type` about booking request `requestId`. */
  const arrivalOf = (type: string, requestId: string) =>
    waitFor(
      async () =>
        partner
          .at('/hooks')
          .find((a) => a.payload.type === type && a.payload.data.bookingRequest?.id === requestId),
      undefined,
      `the partner to receive ${type} of ${requestId}`,
    );

  describe('with tracing off (the default)', () => {
    test('nothing is stored or sent, even when the client sends a traceparent', async () => {
      const event = await createEvent(api.baseUrl, admin, { capacity: 5 });
      const buyer = await registerUser(api.baseUrl, 'untraced');
      const requestId = await submit(buyer, `/events/${event.id}/bookings`, clientSpan().traceparent, {
        quantity: 1,
      });
      expect((await outcomeOf(api.baseUrl, buyer, requestId)).status).toBe('confirmed');
      const arrival = await arrivalOf('booking.confirmed', requestId);
      expect(arrival.traceparent).toBeUndefined();
      expect(await storedContext('booking_requests', 'id', requestId)).toBeNull();
      expect(await outboxContext('booking.confirmed', requestId)).toBeNull();
      await waitFor(async () => smtp.to(buyer.email).length === 1);
    });
  });

  describe('with tracing on', () => {
    const exporter = useInMemoryTracing();
    const spansOf = (traceId: string) =>
      exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    /** The finished span `match` accepts, once it has ended. */
    const finished = (match: (s: ReadableSpan) => boolean) =>
      waitFor(async () => exporter.getFinishedSpans().find(match), undefined, 'a span to end');
    /** The one finished span of `traceId` named `name` that `match` accepts, once it has ended. */
    const spanOf = (traceId: string, name: string, match: (s: ReadableSpan) => boolean = () => true) =>
      waitFor(
        async () => {
          const found = spansOf(traceId).filter((s) => s.name === name && match(s));
          expect(found.length).toBeLessThanOrEqual(1);
          return found[0];
        },
        undefined,
        () => `a ${name} span in trace ${traceId} (has: ${spansOf(traceId).map((s) => s.name)})`,
      );

    test('a booking: the client span > POST /events/:id/bookings > intake.submit > allocation.decide > webhook.deliver and email.send, the context stored in its rows and sent to the partner', async () => {
      const event = await createEvent(api.baseUrl, admin, { capacity: 5 });
      const buyer = await registerUser(api.baseUrl, 'traced');
      const client = clientSpan();
      const requestId = await submit(buyer, `/events/${event.id}/bookings`, client.traceparent, {
        quantity: 2,
      });

      const server = await spanOf(client.traceId, 'POST /events/:id/bookings');
      expect(server.kind).toBe(SpanKind.SERVER);
      expect(parentOf(server)).toBe(client.spanId);
      expect(server.attributes).toMatchObject({
        'http.request.method': 'POST',
        'http.route': '/events/:id/bookings',
        'url.path': `/events/${event.id}/bookings`,
        'http.response.status_code': 202,
      });
      expect(server.status.code).toBe(SpanStatusCode.UNSET);

      const intake = await spanOf(client.traceId, 'intake.submit');
      expect(parentOf(intake)).toBe(server.spanContext().spanId);
      expect(intake.attributes).toMatchObject({
        'evently.booking_request.id': requestId,
        'evently.booking_request.kind': 'book',
        'evently.booking_request.status': 'queued',
        'evently.intake.replayed': false,
      });
      // The row carries the intake span's context across the process boundary.
      expect(await storedContext('booking_requests', 'id', requestId)).toBe(traceparentOf(intake));

      expect((await outcomeOf(api.baseUrl, buyer, requestId)).status).toBe('confirmed');
      const decide = await spanOf(client.traceId, 'allocation.decide');
      expect(parentOf(decide)).toBe(intake.spanContext().spanId);
      expect(decide.attributes).toMatchObject({
        'evently.event.id': event.id,
        'evently.booking_request.id': requestId,
        'evently.booking_request.status': 'confirmed',
        'evently.allocation.promoted': false,
      });
      // The step that decided it: a trace of its own under the job that ran it, linked both ways.
      const [stepLink] = decide.links;
      const step = await finished((s) => s.spanContext().spanId === stepLink?.context.spanId);
      expect(step.name).toBe('allocation.step');
      expect(step.links.map((l) => l.context.spanId)).toContain(intake.spanContext().spanId);
      const job = await finished((s) => s.spanContext().spanId === parentOf(step));
      expect(job.name).toBe('allocation.job');
      expect(job.kind).toBe(SpanKind.CONSUMER);
      expect(job.parentSpanContext).toBeUndefined();
      expect(job.attributes['evently.event.id']).toBe(event.id);

      // The decision's outbox message carries the decision's context to the webhook and the email.
      expect(await outboxContext('booking.confirmed', requestId)).toBe(traceparentOf(decide));
      const arrival = await arrivalOf('booking.confirmed', requestId);
      const webhook = await spanOf(
        client.traceId,
        'webhook.deliver',
        (s) => s.attributes['evently.outbox.type'] === 'booking.confirmed',
      );
      expect(webhook.kind).toBe(SpanKind.CLIENT);
      expect(parentOf(webhook)).toBe(decide.spanContext().spanId);
      expect(webhook.attributes).toMatchObject({
        'http.request.method': 'POST',
        'url.full': `${partner.baseUrl}/hooks`,
        'http.response.status_code': 204,
        'evently.outbox.message_id': arrival.webhookId,
        'evently.attempt': 1,
      });
      expect(arrival.traceparent).toBe(traceparentOf(webhook));

      const email = await spanOf(client.traceId, 'email.send');
      expect(parentOf(email)).toBe(decide.spanContext().spanId);
      expect(email.attributes).toMatchObject({
        'evently.email.kind': 'booking_confirmed',
        'evently.email.result': 'sent',
        'evently.attempt': 1,
      });
      expect(smtp.to(buyer.email)).toHaveLength(1);

      // Nothing else joined the booking's trace.
      expect(
        spansOf(client.traceId)
          .map((s) => s.name)
          .sort(),
      ).toEqual([
        'POST /events/:id/bookings',
        'allocation.decide',
        'email.send',
        'intake.submit',
        'webhook.deliver',
      ]);
    });

    test('a cancellation, and a hold confirmed, are traced the same way; a waitlist promotion joins the waitlisted booking trace', async () => {
      const event = await createEvent(api.baseUrl, admin, { capacity: 1 });
      const buyer = await registerUser(api.baseUrl, 'holder');
      const waiting = await registerUser(api.baseUrl, 'waiting');

      const holdClient = clientSpan();
      const holdRequest = await submit(buyer, `/events/${event.id}/holds`, holdClient.traceparent, {
        quantity: 1,
      });
      const held = await outcomeOf(api.baseUrl, buyer, holdRequest);
      expect(held.status).toBe('held');
      const holdDecide = await spanOf(holdClient.traceId, 'allocation.decide');
      expect(holdDecide.attributes['evently.booking_request.status']).toBe('held');
      const holdWebhook = await spanOf(holdClient.traceId, 'webhook.deliver');
      expect(parentOf(holdWebhook)).toBe(holdDecide.spanContext().spanId);

      const waitClient = clientSpan();
      const waitRequest = await submit(waiting, `/events/${event.id}/bookings`, waitClient.traceparent, {
        quantity: 1,
        waitlist: true,
      });
      expect((await outcomeOf(api.baseUrl, waiting, waitRequest)).status).toBe('waitlisted');
      const waitIntake = await spanOf(waitClient.traceId, 'intake.submit');

      const confirmClient = clientSpan();
      const confirmRequest = await submit(buyer, `/holds/${held.hold.id}/confirm`, confirmClient.traceparent);
      const confirmed = await outcomeOf(api.baseUrl, buyer, confirmRequest);
      expect(confirmed.status).toBe('confirmed');
      const confirmServer = await spanOf(confirmClient.traceId, 'POST /holds/:id/confirm');
      expect(parentOf(confirmServer)).toBe(confirmClient.spanId);
      const confirmDecide = await spanOf(confirmClient.traceId, 'allocation.decide');
      expect(confirmDecide.attributes['evently.booking_request.kind']).toBe('confirm_hold');
      const confirmWebhook = await spanOf(confirmClient.traceId, 'webhook.deliver');
      expect(confirmWebhook.attributes['evently.outbox.type']).toBe('hold.confirmed');
      expect((await arrivalOf('hold.confirmed', confirmRequest)).traceparent).toBe(
        traceparentOf(confirmWebhook),
      );

      // The cancellation frees the seat: the waitlisted request is promoted in the same step.
      const cancelClient = clientSpan();
      const cancelRequest = await submit(
        buyer,
        `/bookings/${confirmed.booking.id}/cancel`,
        cancelClient.traceparent,
      );
      expect((await outcomeOf(api.baseUrl, buyer, cancelRequest)).status).toBe('cancelled');
      const cancelIntake = await spanOf(cancelClient.traceId, 'intake.submit');
      const cancelDecide = await spanOf(cancelClient.traceId, 'allocation.decide');
      expect(parentOf(cancelDecide)).toBe(cancelIntake.spanContext().spanId);
      expect(cancelDecide.attributes['evently.booking_request.status']).toBe('cancelled');
      const cancelWebhook = await spanOf(cancelClient.traceId, 'webhook.deliver');
      expect(cancelWebhook.attributes['evently.outbox.type']).toBe('booking.cancelled');
      const cancelEmail = await spanOf(cancelClient.traceId, 'email.send');
      expect(cancelEmail.attributes['evently.email.kind']).toBe('booking_cancelled');

      const promotion = await spanOf(waitClient.traceId, 'allocation.decide', (s) =>
        Boolean(s.attributes['evently.allocation.promoted']),
      );
      expect(parentOf(promotion)).toBe(waitIntake.spanContext().spanId);
      expect(promotion.attributes['evently.booking_request.status']).toBe('confirmed');
      // Decided in the cancellation's step.
      expect(promotion.links[0]?.context.spanId).toBe(cancelDecide.links[0]?.context.spanId);
      const promotedWebhook = await spanOf(
        waitClient.traceId,
        'webhook.deliver',
        (s) => s.attributes['evently.outbox.type'] === 'waitlist.promoted',
      );
      expect(parentOf(promotedWebhook)).toBe(promotion.spanContext().spanId);
      const promotedEmail = await spanOf(
        waitClient.traceId,
        'email.send',
        (s) => s.attributes['evently.email.kind'] === 'waitlist_promoted',
      );
      expect(parentOf(promotedEmail)).toBe(promotion.spanContext().spanId);
    });

    test('HTTP spans: a new trace without a traceparent, a refusal is no error, probes and scrapes are not traced', async () => {
      const before = exporter.getFinishedSpans().length;
      expect((await api.http().get('/health/live')).status).toBe(200);
      const listed = await api.http().get('/events?limit=1');
      expect(listed.status).toBe(200);
      const list = await waitFor(async () =>
        exporter
          .getFinishedSpans()
          .slice(before)
          .find((s) => s.name === 'GET /events'),
      );
      expect(list.parentSpanContext).toBeUndefined();
      expect(
        exporter
          .getFinishedSpans()
          .slice(before)
          .map((s) => s.attributes['url.path']),
      ).not.toContain('/health/live');

      // A draft takes no booking: 404 to a buyer, answered by intake, which is not a failure.
      const draft = await createEvent(api.baseUrl, admin, { status: 'draft' });
      const buyer = await registerUser(api.baseUrl, 'refused');
      const client = clientSpan();
      const res = await api
        .http()
        .post(`/events/${draft.id}/bookings`)
        .set(buyer.auth)
        .set('traceparent', client.traceparent)
        .send({ quantity: 1 });
      expect(res.status).toBe(404);
      const intake = await spanOf(client.traceId, 'intake.submit');
      expect(intake.status.code).toBe(SpanStatusCode.UNSET);
      expect(intake.attributes['evently.intake.refusal']).toBe('not_found');
      const server = await spanOf(client.traceId, 'POST /events/:id/bookings');
      expect(server.attributes['http.response.status_code']).toBe(404);
      expect(server.status.code).toBe(SpanStatusCode.UNSET);
    });
  });
});

/**
 * A local OTLP/HTTP receiver: what a collector (Jaeger, Tempo, the OpenTelemetry Collector) is
 * to the exporter. Records the spans of every request to /v1/traces.
 */
class OtlpSink {
  readonly spans: {
    name: string;
    traceId: string;
    spanId: string;
    parentSpanId?: string;
    service: string;
  }[] = [];
  private server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        for (const rs of JSON.parse(body).resourceSpans ?? []) {
          const service = rs.resource.attributes.find((a: { key: string }) => a.key === 'service.name')?.value
            .stringValue;
          for (const ss of rs.scopeSpans ?? [])
            for (const span of ss.spans ?? []) this.spans.push({ ...span, service });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('a worker process traces by the OTEL_* variables and exports over OTLP/HTTP', () => {
  const sink = new OtlpSink();
  beforeAll(() => sink.start());
  afterAll(() => sink.stop());
  const api = useTestApi(
    () => ({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      // Nothing is exported on a schedule within the test: what arrives, the shutdown flushed.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    }),
    { workers: 1 },
  );
  // The API in this process traces too, so the row holds a context for the worker to continue.
  useInMemoryTracing();

  test('its decision continues the trace stored on the row, and reaches the collector when it stops', async () => {
    const admin = await createActor(api.baseUrl, 'admin');
    const event = await createEvent(api.baseUrl, admin, { capacity: 5 });
    const buyer = await registerUser(api.baseUrl, 'exported');
    const client = clientSpan();
    const res = await api
      .http()
      .post(`/events/${event.id}/bookings`)
      .set(buyer.auth)
      .set('traceparent', client.traceparent)
      .send({ quantity: 1 });
    expect(res.status).toBe(202);
    expect((await outcomeOf(api.baseUrl, buyer, res.body.id)).status).toBe('confirmed');
    const [row] = await api.deps.sequelize.query<{ traceContext: string }>(
      'SELECT trace_context AS "traceContext" FROM booking_requests WHERE id = $id',
      { bind: { id: res.body.id }, type: QueryTypes.SELECT },
    );
    expect(sink.spans).toEqual([]);

    expect(await api.workers[0]!.stop()).toBe(0);
    const decide = sink.spans.find((s) => s.name === 'allocation.decide');
    expect(decide).toMatchObject({
      traceId: client.traceId,
      parentSpanId: row!.traceContext.split('-')[2],
      service: 'evently-worker',
    });
    expect(sink.spans.map((s) => s.name)).toEqual(
      expect.arrayContaining(['allocation.job', 'allocation.step']),
    );
  });
});
