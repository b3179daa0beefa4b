import { randomUUID } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { checkEndpointUrl } from '../api/services/webhook-endpoints.js';
import type { Config } from '../shared/config.js';
import { entitledSql } from '../shared/webhooks/entitlement.js';
import type { RunningWorker } from '../worker/index.js';
import { type Actor, createActor, createEvent } from './support/actors.js';
import { testConfig, testEnv } from './support/config.js';
import { book, cancelBooking, confirmHold, hold, queueBooking } from './support/factory.js';
import {
  DEFAULT_WAIT_MS,
  flushRedisPrefix,
  outcomeOf,
  type StartedApi,
  startInProcessWorker,
  startTestApi,
  startWorkerProcess,
  waitFor,
} from './support/harness.js';
import { expectApiError } from './support/http.js';
import { takeOutboxTurn } from './support/outbox-turn.js';
import { countRows } from './support/rows.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

describe('signed webhooks (Standard Webhooks v1), never lost', () => {
  let env: Record<string, string>;
  let config: Config;
  let api: StartedApi;
  let receiver: WebhookReceiver;
  let admin: Actor;
  let endTurn: () => Promise<void>;

  beforeAll(async () => {
    // Its relay takes the whole outbox: files that relay it take turns (test/support/outbox-turn.ts).
    endTurn = await takeOutboxTurn();
    receiver = await new WebhookReceiver().start();
    env = testEnv({
      WEBHOOKS_ENABLED: 'true',
      // The receiver's host:port only: 127.0.0.1 on any other port stays refused.
      WEBHOOK_ALLOW_PRIVATE: new URL(receiver.baseUrl).host,
      // 40 quick retries: more than any test here needs to succeed, and enough that the circuit
      // breaker's delivery (3 failures, then one probe per 1.5 s cool-down) keeps retrying for about
      // a minute, longer than that test waits to see the circuit open.
      WEBHOOK_RETRY_SCHEDULE: Array(40).fill('0.2').join(','),
      WEBHOOK_TIMEOUT_MS: '500',
      WEBHOOK_CIRCUIT_THRESHOLD: '3',
      WEBHOOK_CIRCUIT_COOLDOWN_MS: '1500',
      WEBHOOK_RELAY_INTERVAL_MS: '50',
    });
    config = testConfig(env);
    api = await startTestApi(config);
    admin = await createActor(api.baseUrl, 'admin');
  });

  afterAll(async () => {
    // The receiver goes away with this file: retire its endpoints, so later runs sharing the
    // database do not keep retrying deliveries to a closed port.
    await api.deps.sequelize.query(
      `WITH gone AS (
         UPDATE webhook_endpoints SET status = 'disabled', deleted_at = now()
          WHERE url LIKE $prefix || '%' RETURNING id)
       UPDATE webhook_deliveries SET status = 'failed', last_error = 'test receiver stopped'
        WHERE status = 'pending' AND endpoint_id IN (SELECT id FROM gone)`,
      { bind: { prefix: receiver.baseUrl } },
    );
    await receiver.stop();
    await api.close();
    await flushRedisPrefix(env.REDIS_PREFIX!);
    await endTurn();
  });

  async function registerEndpoint(
    owner: Actor,
    path: string,
    eventTypes = ['booking.confirmed', 'booking.rejected'],
  ) {
    const res = await request(api.baseUrl)
      .post('/webhook-endpoints')
      .set(owner.auth)
      .send({ url: `${receiver.baseUrl}${path}`, eventTypes });
    expect(res.status).toBe(201);
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    return res.body as { id: string; secret: string };
  }

  /** A booking request of one ticket, queued (202); its id. */
  const bookOne = (partner: Actor, eventId: string) =>
    queueBooking(api, partner, eventId, { quantity: 1 }, { idempotencyKey: randomUUID() });

  const endpointState = async (owner: Actor, id: string) =>
    (await request(api.baseUrl).get(`/webhook-endpoints/${id}`).set(owner.auth)).body;
  const deliveries = async (owner: Actor, id: string) =>
    (await request(api.baseUrl).get(`/webhook-endpoints/${id}/deliveries?limit=100`).set(owner.auth)).body
      .data;

  describe('with an in-process worker', () => {
    let worker: RunningWorker;
    beforeAll(async () => {
      worker = await startInProcessWorker(config);
    });
    afterAll(async () => {
      await worker.close();
    });

    test('a 200-request flash sale yields exactly one verified message per outcome; retries reuse the webhook-id', async () => {
      const partner = await createActor(api.baseUrl, 'partner');
      const endpoint = await registerEndpoint(partner, '/flash');
      // The receiver fails every 5th message once, after recording it: the retry is a duplicate.
      let seen = 0;
      receiver.on('/flash', (_arrival, nth) =>
        nth === 1 && ++seen % 5 === 0 ? { status: 500 } : { status: 200 },
      );
      const event = await createEvent(api.baseUrl, admin, { capacity: 50 });
      const requestIds = await Promise.all(Array.from({ length: 200 }, () => bookOne(partner, event.id)));

      const distinct = await waitFor(
        async () => {
          const ids = new Set(receiver.at('/flash').map((a) => a.webhookId));
          return (
            ids.size >= 200 &&
            (await deliveries(partner, endpoint.id)).every(
              (d: { status: string }) => d.status === 'delivered',
            ) &&
            ids
          );
        },
        60000,
        '200 delivered messages',
      );
      expect(distinct.size).toBe(200);
      const arrivals = receiver.at('/flash');
      for (const arrival of arrivals) {
        const verified = WebhookReceiver.verify(arrival, endpoint.secret) as { type: string };
        expect(verified.type).toBe(arrival.payload.type);
      }
      // Duplicates carry the same id and the same body.
      const byId = new Map<string, string>();
      for (const a of arrivals) {
        if (byId.has(a.webhookId)) expect(a.body).toBe(byId.get(a.webhookId));
        byId.set(a.webhookId, a.body);
      }
      expect(arrivals.length).toBeGreaterThan(200);
      const firstOfEach = [...new Map(arrivals.map((a) => [a.webhookId, a])).values()];
      const aboutRequests = firstOfEach.map((a) => a.payload.data.bookingRequest!.id).sort();
      expect(aboutRequests).toEqual([...requestIds].sort());
      const types = firstOfEach.map((a) => a.payload.type);
      expect(types.filter((t) => t === 'booking.confirmed')).toHaveLength(50);
      expect(types.filter((t) => t === 'booking.rejected')).toHaveLength(150);
    }, 120_000);

    test('500, a timeout and a 429 with Retry-After, then delivered on the 4th attempt', async () => {
      const partner = await createActor(api.baseUrl, 'partner');
      const endpoint = await registerEndpoint(partner, '/flaky');
      const replies = [
        { status: 500 },
        { status: 200, delayMs: 1500 },
        { status: 429, headers: { 'Retry-After': '1' } },
        { status: 200 },
      ];
      receiver.on('/flaky', (_a, nth) => replies[nth - 1] ?? { status: 200 });
      const event = await createEvent(api.baseUrl, admin);
      const requestId = await bookOne(partner, event.id);

      const [delivery] = await waitFor(
        async () => {
          const list = await deliveries(partner, endpoint.id);
          return list.length === 1 && list[0].status === 'delivered' && list;
        },
        DEFAULT_WAIT_MS,
        'the delivery to succeed',
      );
      expect(delivery).toMatchObject({
        attempts: 4,
        lastStatus: 200,
        lastError: null,
        type: 'booking.confirmed',
      });
      const arrivals = receiver.at('/flaky');
      expect(arrivals).toHaveLength(4);
      expect(new Set(arrivals.map((a) => a.webhookId))).toEqual(new Set([delivery.messageId]));
      expect(arrivals[0]!.payload.data.bookingRequest!.id).toBe(requestId);
      // Retry-After: 1 was honoured although the schedule says 0.2 s.
      expect(arrivals[3]!.receivedAt - arrivals[2]!.receivedAt).toBeGreaterThanOrEqual(950);
      for (const a of arrivals) WebhookReceiver.verify(a, endpoint.secret);
    });

    test('410 Gone disables the endpoint; nothing more is sent to it', async () => {
      const partner = await createActor(api.baseUrl, 'partner');
      const endpoint = await registerEndpoint(partner, '/gone');
      receiver.on('/gone', () => ({ status: 410 }));
      const event = await createEvent(api.baseUrl, admin);
      await bookOne(partner, event.id);

      const state = await waitFor(
        async () => {
          const s = await endpointState(partner, endpoint.id);
          return s.status === 'disabled' && s;
        },
        DEFAULT_WAIT_MS,
        'the endpoint to be disabled',
      );
      expect(state.disabledReason).toMatch(/410/);
      const [failed] = await deliveries(partner, endpoint.id);
      expect(failed).toMatchObject({ status: 'failed', attempts: 1, lastStatus: 410 });

      const second = await bookOne(partner, event.id);
      await outcomeOf(api.baseUrl, partner, second);
      // The outcome's message has been through the relay (which is what would have made a delivery
      // for an enabled endpoint), and nothing was made for this one.
      await waitFor(
        async () =>
          (await countRows(api.deps.sequelize, 'webhook_outbox WHERE event_id = $id AND relayed_at IS NULL', {
            id: event.id,
          })) === 0,
        DEFAULT_WAIT_MS,
        "the event's messages to be relayed",
      );
      expect(await deliveries(partner, endpoint.id)).toHaveLength(1);
      expect(receiver.at('/gone')).toHaveLength(1);
    });

    test('the circuit breaker opens after 3 failures, holds deliveries, and recovers', async () => {
      const partner = await createActor(api.baseUrl, 'partner');
      const endpoint = await registerEndpoint(partner, '/down');
      let healthy = false;
      receiver.on('/down', () => ({ status: healthy ? 200 : 500 }));
      const event = await createEvent(api.baseUrl, admin);
      await bookOne(partner, event.id);

      // While the receiver fails, each failed half-open probe opens the circuit again, so it is
      // seen open however late this poll comes (the retry schedule outlasts the wait: see `env`).
      // How many probes were made by then depends on the machine; the timeline below does not.
      const open = await waitFor(
        async () => {
          const s = await endpointState(partner, endpoint.id);
          return s.circuitOpenUntil && s;
        },
        DEFAULT_WAIT_MS,
        'the circuit to open',
      );
      const [held] = await deliveries(partner, endpoint.id);
      expect(held).toMatchObject({ status: 'pending' });
      expect(held.attempts).toBeGreaterThanOrEqual(3);
      // The third failure opened it, for a cool-down (1.5 s) from then on.
      const third = receiver.at('/down')[2]!;
      expect(new Date(open.circuitOpenUntil).getTime()).toBeGreaterThanOrEqual(third.receivedAt + 1400);

      healthy = true;
      const [delivered] = await waitFor(
        async () => {
          const list = await deliveries(partner, endpoint.id);
          return list[0]?.status === 'delivered' && list;
        },
        DEFAULT_WAIT_MS,
        'delivery after the cool-down',
      );
      const arrivals = receiver.at('/down');
      expect(arrivals.length).toBeGreaterThanOrEqual(4);
      expect(delivered.attempts).toBe(arrivals.length);
      expect(arrivals.map((a) => a.answered)).toEqual([...Array(arrivals.length - 1).fill(500), 200]);
      // Nothing was attempted while the circuit was open: from the third failure on, attempts are
      // at least a cool-down apart (the retry schedule alone would make them 0.2 s apart).
      for (let i = 3; i < arrivals.length; i++) {
        expect(arrivals[i]!.receivedAt - arrivals[i - 1]!.receivedAt).toBeGreaterThanOrEqual(1400);
      }
      expect((await endpointState(partner, endpoint.id)).circuitOpenUntil).toBeNull();
    });

    test('a stored URL the guard no longer allows is never dialled; one recorded error, port open or not', async () => {
      const partner = await createActor(api.baseUrl, 'partner');
      const toOpen = await registerEndpoint(partner, '/now-open');
      const toClosed = await registerEndpoint(partner, '/now-closed');
      // A private service on loopback (something listens), and a port nothing listens on.
      let connections = 0;
      const service = net.createServer((socket) => socket.destroy());
      service.on('connection', () => {
        connections++;
      });
      await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
      const probe = net.createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const closedPort = (probe.address() as AddressInfo).port;
      await new Promise((resolve) => probe.close(resolve));
      try {
        // As if DNS or the allow-list had changed since registration: the same host, other ports.
        for (const [id, port] of [
          [toOpen.id, (service.address() as AddressInfo).port],
          [toClosed.id, closedPort],
        ] as const) {
          await api.deps.sequelize.query('UPDATE webhook_endpoints SET url = $url WHERE id = $id', {
            bind: { id, url: `http://127.0.0.1:${port}/hook` },
          });
        }
        const event = await createEvent(api.baseUrl, admin);
        await bookOne(partner, event.id);

        const [open, closed] = await waitFor(
          async () => {
            const [a] = await deliveries(partner, toOpen.id);
            const [b] = await deliveries(partner, toClosed.id);
            return a?.lastError && b?.lastError && [a, b];
          },
          DEFAULT_WAIT_MS,
          'an attempt on both endpoints',
        );
        expect(open).toMatchObject({ lastStatus: null, lastError: 'destination not allowed' });
        expect(closed).toMatchObject({ lastStatus: null, lastError: open.lastError });
        expect(connections).toBe(0);
      } finally {
        for (const { id } of [toOpen, toClosed]) {
          await request(api.baseUrl).delete(`/webhook-endpoints/${id}`).set(partner.auth);
        }
        await new Promise((resolve) => service.close(resolve));
      }
      expect(receiver.at('/now-open')).toHaveLength(0);
    });

    test('after a secret rotation, receivers holding either secret verify during the overlap', async () => {
      const partner = await createActor(api.baseUrl, 'partner');
      const endpoint = await registerEndpoint(partner, '/rotate');
      const rotated = await request(api.baseUrl)
        .post(`/webhook-endpoints/${endpoint.id}/rotate-secret`)
        .set(partner.auth);
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).not.toBe(endpoint.secret);
      const expires = new Date(rotated.body.previousSecretExpiresAt).getTime();
      expect(expires - Date.now()).toBeGreaterThan(23.9 * 3600 * 1000);

      const event = await createEvent(api.baseUrl, admin);
      await bookOne(partner, event.id);
      const [arrival] = await waitFor(
        async () => receiver.at('/rotate').length > 0 && receiver.at('/rotate'),
        DEFAULT_WAIT_MS,
        'the message to arrive',
      );
      expect(arrival!.signature.split(' ')).toHaveLength(2);
      expect(() => WebhookReceiver.verify(arrival!, endpoint.secret)).not.toThrow();
      expect(() => WebhookReceiver.verify(arrival!, rotated.body.secret)).not.toThrow();
      expect(() =>
        WebhookReceiver.verify(arrival!, `whsec_${Buffer.alloc(32, 1).toString('base64')}`),
      ).toThrow();
    });

    test('a later outcome about the same booking is never delivered before an earlier one', async () => {
      const partner = await createActor(api.baseUrl, 'partner');
      await registerEndpoint(partner, '/order', ['booking.confirmed', 'booking.cancelled']);
      // The first attempt of the confirmation fails, so its retry is pending when the cancellation arrives.
      receiver.on('/order', (a, nth) =>
        a.payload.type === 'booking.confirmed' && nth === 1 ? { status: 503 } : { status: 200 },
      );
      const event = await createEvent(api.baseUrl, admin);
      const requestId = await bookOne(partner, event.id);
      const decided = await outcomeOf(api.baseUrl, partner, requestId);
      expect(decided.status).toBe('confirmed');
      const cancel = await request(api.baseUrl)
        .post(`/bookings/${decided.booking.id}/cancel`)
        .set(partner.auth)
        .set('Idempotency-Key', randomUUID());
      expect(cancel.status).toBe(202);

      await waitFor(
        async () => receiver.at('/order').some((a) => a.payload.type === 'booking.cancelled'),
        DEFAULT_WAIT_MS,
        'the cancellation to arrive',
      );
      const types = receiver.at('/order').map((a) => a.payload.type);
      expect(types).toEqual(['booking.confirmed', 'booking.confirmed', 'booking.cancelled']);
    });

    test("a draft's news reaches admins' endpoints only; a published event's reaches partners too", async () => {
      const partner = await createActor(api.baseUrl, 'partner');
      const newsTypes = ['event.updated', 'event.cancelled'];
      await registerEndpoint(partner, '/news-partner', newsTypes);
      await registerEndpoint(admin, '/news-admin', newsTypes);
      const draft = await createEvent(api.baseUrl, admin, { status: 'draft' });
      const edit = (id: string, body: object) =>
        request(api.baseUrl).patch(`/events/${id}`).set(admin.auth).send(body);
      expect((await edit(draft.id, { version: 1, description: 'secret line-up' })).status).toBe(200);
      expect((await request(api.baseUrl).post(`/events/${draft.id}/cancel`).set(admin.auth)).status).toBe(
        200,
      );
      // Written after the draft's messages: once the partner has it, the draft's were relayed too.
      const published = await createEvent(api.baseUrl, admin);
      expect((await edit(published.id, { version: 1, description: 'on sale now' })).status).toBe(200);

      const about = (path: string, eventId: string) =>
        receiver.at(path).filter((a) => (a.payload.data as { event?: { id: string } }).event?.id === eventId);
      await waitFor(
        async () =>
          about('/news-partner', published.id).length > 0 && about('/news-admin', draft.id).length === 2,
        DEFAULT_WAIT_MS,
        "the published event's news at the partner and the draft's at the admin",
      );
      expect(about('/news-admin', draft.id).map((a) => a.payload.type)).toEqual([
        'event.updated',
        'event.cancelled',
      ]);
      expect(about('/news-partner', draft.id)).toEqual([]);
      expect(receiver.at('/news-partner').some((a) => a.body.includes('secret line-up'))).toBe(false);
    });

    describe("entitlement: the owner's account as it is now decides every delivery", () => {
      interface DeliveryRow {
        id: string;
        status: string;
        lastError: string | null;
        eventId: string | null;
        outboxId: string;
        type: string;
      }
      /** This endpoint's deliveries with their messages' events (other files' messages pass here too). */
      const rowsOf = (endpointId: string) =>
        api.deps.sequelize.query<DeliveryRow>(
          `SELECT d.id, d.status, d.last_error AS "lastError", o.event_id AS "eventId", o.id AS "outboxId", o.type
             FROM webhook_deliveries d JOIN webhook_outbox o ON o.id = d.outbox_id
            WHERE d.endpoint_id = $endpointId ORDER BY o.id`,
          { bind: { endpointId }, type: QueryTypes.SELECT },
        );
      const about = (rows: DeliveryRow[], eventId: string) => rows.filter((r) => r.eventId === eventId);
      /** Until the relay has taken every message about these events (and made what it would). */
      const relayed = (eventIds: string[]) =>
        waitFor(
          async () =>
            (await countRows(
              api.deps.sequelize,
              'webhook_outbox WHERE event_id = ANY ($ids::uuid[]) AND relayed_at IS NULL',
              { ids: eventIds },
            )) === 0,
          DEFAULT_WAIT_MS,
          'the messages to be relayed',
        );
      const changeAccount = async (who: Actor, changes: object) => {
        const res = await request(api.baseUrl).patch(`/admin/users/${who.id}`).set(admin.auth).send(changes);
        expect(res.status).toBe(200);
      };
      const edit = async (eventId: string, version: number, description: string) => {
        const res = await request(api.baseUrl)
          .patch(`/events/${eventId}`)
          .set(admin.auth)
          .send({ version, description });
        expect(res.status).toBe(200);
      };
      const eventOf = (a: { payload: { data: { event?: { id: string } } } }) => a.payload.data.event?.id;

      test('the rule, over every account and audience: active partners get their own purchases and public news, active admins everything, no one else anything', async () => {
        const accounts: Record<string, string> = {};
        for (const role of ['user', 'partner', 'admin'] as const) {
          for (const disabled of [false, true]) {
            const actor = await createActor(api.baseUrl, role);
            if (disabled) await changeAccount(actor, { disabled: true });
            accounts[`${disabled ? 'disabled ' : ''}${role}`] = actor.id;
          }
        }
        accounts['deleted account'] = randomUUID();
        const entitled = async (owner: string, audience: string, principal: string | null) => {
          const [row] = await api.deps.sequelize.query<{ ok: boolean }>(
            `SELECT ${entitledSql('e', 'o')} AS ok
               FROM (SELECT $owner::uuid AS user_id) e,
                    (SELECT $audience::text AS audience, $principal::uuid AS user_id) o`,
            { bind: { owner, audience, principal }, type: QueryTypes.SELECT },
          );
          return row!.ok;
        };
        const table: Record<string, boolean[]> = {};
        const someoneElse = randomUUID();
        for (const [name, id] of Object.entries(accounts)) {
          table[name] = [
            await entitled(id, 'owner', id), // its own purchase
            await entitled(id, 'owner', someoneElse), // someone else's
            await entitled(id, 'public', null),
            await entitled(id, 'admins', null),
          ];
        }
        expect(table).toEqual({
          user: [false, false, false, false],
          'disabled user': [false, false, false, false],
          partner: [true, false, true, false],
          'disabled partner': [false, false, false, false],
          admin: [true, true, true, true],
          'disabled admin': [false, false, false, false],
          'deleted account': [false, false, false, false],
        });
      });

      test("an admin demoted to partner: the draft's failed delivery is neither replayed nor retried to a new URL, and the draft's news stops; public news still replays", async () => {
        const former = await createActor(api.baseUrl, 'admin');
        const draft = await createEvent(api.baseUrl, admin, { status: 'draft' });
        const published = await createEvent(api.baseUrl, admin);
        const endpoint = await registerEndpoint(former, '/demoted-old', ['event.updated']);
        // The draft's news is refused with 410: the delivery fails and the endpoint is disabled.
        receiver.on('/demoted-old', (a) => ({ status: eventOf(a) === draft.id ? 410 : 200 }));
        // The published event's first message fails the same way there (so that one can be replayed).
        receiver.on('/demoted-new', (a, nth) => ({
          status: eventOf(a) === published.id && nth === 1 ? 410 : 200,
        }));

        await edit(draft.id, 1, 'secret line-up');
        const [failedDraft] = await waitFor(
          async () => {
            const rows = about(await rowsOf(endpoint.id), draft.id);
            return rows[0]?.status === 'failed' && rows;
          },
          DEFAULT_WAIT_MS,
          "the draft's delivery to fail",
        );
        expect((await endpointState(former, endpoint.id)).status).toBe('disabled');

        // Demoted; as a partner, it points the endpoint elsewhere and enables it again.
        await changeAccount(former, { role: 'partner' });
        const moved = await request(api.baseUrl)
          .patch(`/webhook-endpoints/${endpoint.id}`)
          .set(former.auth)
          .send({ url: `${receiver.baseUrl}/demoted-new`, status: 'enabled' });
        expect(moved.status).toBe(200);

        // Neither a retry nor a replay revives the draft's delivery, and the answer shows no message.
        const retried = await request(api.baseUrl)
          .post(`/webhook-deliveries/${failedDraft!.id}/retry`)
          .set(former.auth);
        expectApiError(retried, 409, 'not_entitled');
        expect(retried.text).not.toContain('secret line-up');
        const firstReplay = await request(api.baseUrl)
          .post(`/webhook-endpoints/${endpoint.id}/replay-failed`)
          .set(former.auth);
        expect(firstReplay.status).toBe(202);
        expect(firstReplay.body.skipped).toBeGreaterThanOrEqual(1);
        expect(firstReplay.text).not.toContain('secret line-up');
        expect(about(await rowsOf(endpoint.id), draft.id)).toEqual([
          expect.objectContaining({ id: failedDraft!.id, status: 'failed', lastError: 'not entitled' }),
        ]);

        // New news of the draft is not even made into a delivery for it.
        await edit(draft.id, 2, 'second secret');
        // Public news is: its first attempt fails (410), so it is failed and replayable.
        await edit(published.id, 1, 'on sale now');
        await relayed([draft.id, published.id]);
        const failedPublic = await waitFor(
          async () => {
            const rows = about(await rowsOf(endpoint.id), published.id);
            return rows.length > 0 && rows.every((r) => r.status === 'failed') && rows;
          },
          DEFAULT_WAIT_MS,
          "the published event's delivery to fail",
        );
        expect(about(await rowsOf(endpoint.id), draft.id).map((r) => r.id)).toEqual([failedDraft!.id]);

        expect(
          (
            await request(api.baseUrl)
              .patch(`/webhook-endpoints/${endpoint.id}`)
              .set(former.auth)
              .send({ status: 'enabled' })
          ).status,
        ).toBe(200);
        const failedBefore = (await rowsOf(endpoint.id)).filter((r) => r.status === 'failed');
        const replay = await request(api.baseUrl)
          .post(`/webhook-endpoints/${endpoint.id}/replay-failed`)
          .set(former.auth);
        expect(replay.status).toBe(202);
        // The public news is replayed; the draft's is skipped, and said so.
        expect(replay.body.replayed + replay.body.skipped).toBe(failedBefore.length);
        expect(replay.body.replayed).toBeGreaterThanOrEqual(failedPublic.length);
        expect(replay.body.skipped).toBeGreaterThanOrEqual(1);
        expect(replay.text).not.toContain('secret');

        await waitFor(
          async () =>
            receiver.at('/demoted-new').some((a) => eventOf(a) === published.id && a.answered === 200),
          DEFAULT_WAIT_MS,
          'the public news at the new URL',
        );
        const draftRows = about(await rowsOf(endpoint.id), draft.id);
        expect(draftRows).toEqual([expect.objectContaining({ status: 'failed', lastError: 'not entitled' })]);
        expect(receiver.at('/demoted-new').filter((a) => eventOf(a) === draft.id)).toEqual([]);
        // (Other admins' endpoints, still admins', get it: this one no longer does.)
        const here = [...receiver.at('/demoted-old'), ...receiver.at('/demoted-new')];
        expect(here.filter((a) => a.body.includes('second secret'))).toEqual([]);
        const listed = await deliveries(former, endpoint.id);
        expect(listed.find((d: { id: string }) => d.id === failedDraft!.id)).toMatchObject({
          status: 'failed',
          lastError: 'not entitled',
        });
      });

      test("a disabled owner's pending delivery stops at its next attempt, and nothing revives it", async () => {
        const partner = await createActor(api.baseUrl, 'partner');
        const endpoint = await registerEndpoint(partner, '/owner-disabled');
        receiver.on('/owner-disabled', () => ({ status: 503 }));
        const event = await createEvent(api.baseUrl, admin);
        await bookOne(partner, event.id);
        await waitFor(
          async () => receiver.at('/owner-disabled').length >= 2,
          DEFAULT_WAIT_MS,
          'the delivery to be retrying',
        );
        const [pending] = await deliveries(admin, endpoint.id);
        expect(pending).toMatchObject({ status: 'pending' });

        await changeAccount(partner, { disabled: true });
        const [stopped] = await waitFor(
          async () => {
            const list = await deliveries(admin, endpoint.id);
            return list[0]?.status === 'failed' && list;
          },
          DEFAULT_WAIT_MS,
          'the delivery to stop',
        );
        expect(stopped).toMatchObject({ id: pending.id, status: 'failed', lastError: 'not entitled' });
        const attempts = receiver.at('/owner-disabled').length;
        // Longer than the circuit's cool-down and many retry intervals: no attempt follows.
        await new Promise((r) => setTimeout(r, 2500));
        expect(receiver.at('/owner-disabled')).toHaveLength(attempts);

        // Not even an admin revives it while its owner is disabled.
        expectApiError(
          await request(api.baseUrl).post(`/webhook-deliveries/${pending.id}/retry`).set(admin.auth),
          409,
          'not_entitled',
        );
        const replay = await request(api.baseUrl)
          .post(`/webhook-endpoints/${endpoint.id}/replay-failed`)
          .set(admin.auth);
        expect({ status: replay.status, body: replay.body }).toEqual({
          status: 202,
          body: { replayed: 0, skipped: 1 },
        });
        await new Promise((r) => setTimeout(r, 500));
        expect(receiver.at('/owner-disabled')).toHaveLength(attempts);
        expect((await deliveries(admin, endpoint.id))[0]).toMatchObject({
          status: 'failed',
          lastError: 'not entitled',
        });
      });

      test('a partner demoted to user: its pending delivery stops, and it receives nothing new, neither its own purchases nor public news', async () => {
        const partner = await createActor(api.baseUrl, 'partner');
        const endpoint = await registerEndpoint(partner, '/demoted-user', [
          'booking.confirmed',
          'event.updated',
        ]);
        receiver.on('/demoted-user', () => ({ status: 503 }));
        const event = await createEvent(api.baseUrl, admin);
        await bookOne(partner, event.id);
        await waitFor(
          async () => receiver.at('/demoted-user').length >= 1,
          DEFAULT_WAIT_MS,
          'a first attempt',
        );

        await changeAccount(partner, { role: 'user' });
        const [newest] = await api.deps.sequelize.query<{ id: string }>(
          'SELECT coalesce(max(id), 0)::text AS id FROM webhook_outbox',
          { type: QueryTypes.SELECT },
        );
        // Every delivery it had ends, failed as not entitled (none could succeed: the receiver answers 503).
        await waitFor(
          async () => {
            const rows = await rowsOf(endpoint.id);
            return (
              rows.length > 0 && rows.every((r) => r.status === 'failed' && r.lastError === 'not entitled')
            );
          },
          DEFAULT_WAIT_MS,
          'its deliveries to stop',
        );

        // As a user it still books; the outcome and public news are written, and relayed to no one here.
        receiver.on('/demoted-user', () => ({ status: 200 }));
        const requestId = await request(api.baseUrl)
          .post(`/events/${event.id}/bookings`)
          .set(partner.auth)
          .set('Idempotency-Key', randomUUID())
          .send({ quantity: 1 });
        expect(requestId.status).toBe(202);
        expect((await outcomeOf(api.baseUrl, partner, requestId.body.id)).status).toBe('confirmed');
        await edit(event.id, 1, 'news for partners');
        await relayed([event.id]);
        const made = await countRows(
          api.deps.sequelize,
          'webhook_deliveries WHERE endpoint_id = $endpointId AND outbox_id > $newest::bigint',
          { endpointId: endpoint.id, newest: newest!.id },
        );
        expect(made).toBe(0);
        await new Promise((r) => setTimeout(r, 500));
        expect(receiver.at('/demoted-user').filter((a) => a.answered === 200)).toEqual([]);
        expect(receiver.at('/demoted-user').some((a) => a.body.includes('news for partners'))).toBe(false);
      });
    });

    test("a hold's and a waitlist entry's news arrives signed, each purchase's in order", async () => {
      const partner = await createActor(api.baseUrl, 'partner');
      const endpoint = await registerEndpoint(partner, '/seating', [
        'hold.created',
        'hold.confirmed',
        'booking.cancelled',
        'booking.waitlisted',
        'waitlist.promoted',
      ]);
      // The hold's first message fails once, so its retry is pending when the next one is made.
      receiver.on('/seating', (a, nth) =>
        a.payload.type === 'hold.created' && nth === 1 ? { status: 503 } : { status: 200 },
      );
      const event = await createEvent(api.baseUrl, admin, { capacity: 1 });
      const once = () => ({ idempotencyKey: randomUUID() });
      const held = await hold(api, partner, event.id, { quantity: 1 }, once());
      const confirmed = await confirmHold(api, partner, held.hold.id, once());
      const waiting = await book(api, partner, event.id, { quantity: 1, waitlist: true }, once());
      expect(waiting.status).toBe('waitlisted');
      await cancelBooking(api, partner, confirmed.booking.id, once());

      await waitFor(
        async () => receiver.at('/seating').filter((a) => a.answered === 200).length === 5,
        DEFAULT_WAIT_MS,
        'five messages',
      );
      const arrivals = receiver.at('/seating');
      for (const a of arrivals) WebhookReceiver.verify(a, endpoint.secret);
      const purchase = (types: string[]) =>
        arrivals.filter((a) => types.includes(a.payload.type)).map((a) => a.payload.type);
      expect(purchase(['hold.created', 'hold.confirmed', 'booking.cancelled'])).toEqual([
        'hold.created',
        'hold.created',
        'hold.confirmed',
        'booking.cancelled',
      ]);
      expect(purchase(['booking.waitlisted', 'waitlist.promoted'])).toEqual([
        'booking.waitlisted',
        'waitlist.promoted',
      ]);
      const promoted = arrivals.find((a) => a.payload.type === 'waitlist.promoted')!;
      expect(promoted.payload.data.bookingRequest).toEqual({ id: waiting.id, status: 'confirmed' });
    });

    /**
     * Appends `booking.confirmed` messages for `owner` to the outbox in one transaction (so the
     * relay takes them together, into one batch per endpoint), in the order given.
     */
    async function appendMessages(owner: Actor, messages: { orderingKey: string; data: object }[]) {
      await api.deps.sequelize.query(
        `INSERT INTO webhook_outbox (message_id, type, user_id, audience, payload, ordering_key)
         SELECT 'msg_' || gen_random_uuid(), 'booking.confirmed', $userId, 'owner',
                jsonb_build_object('type', 'booking.confirmed', 'timestamp', now(), 'data', t.data), t.key
           FROM unnest($data::jsonb[], $keys::text[]) WITH ORDINALITY AS t(data, key, n)
          ORDER BY t.n`,
        {
          bind: {
            userId: owner.id,
            data: messages.map((m) => JSON.stringify(m.data)),
            keys: messages.map((m) => m.orderingKey),
          },
        },
      );
    }
    const dataOf = (a: { payload: { data: unknown } }) => a.payload.data as { subject: string; seq: number };

    test('connections are kept alive and reused: 200 messages to one endpoint over at most 2 x WEBHOOK_CONCURRENCY TCP connections', async () => {
      const partner = await createActor(api.baseUrl, 'partner');
      const endpoint = await registerEndpoint(partner, '/reuse');
      const before = receiver.connections;
      const subjects = Array.from({ length: 200 }, (_, seq) => ({
        orderingKey: randomUUID(),
        data: { subject: 'reuse', seq },
      }));
      await appendMessages(partner, subjects);
      await waitFor(
        async () => new Set(receiver.at('/reuse').map((a) => a.webhookId)).size === 200,
        60000,
        () => `200 messages at /reuse (${receiver.at('/reuse').length} so far)`,
      );
      // One connection per message would be 200 (and 200 handshakes). The pool holds at most one
      // connection per delivery in flight (WEBHOOK_CONCURRENCY); an idle one is closed after 4 s
      // and dialled again, hence the margin.
      const opened = receiver.connections - before;
      expect(opened).toBeGreaterThanOrEqual(0);
      expect(opened).toBeLessThanOrEqual(2 * config.webhooks.concurrency);
      for (const arrival of receiver.at('/reuse')) WebhookReceiver.verify(arrival, endpoint.secret);
    });

    test('a batch keeps the order per subject; a failed attempt holds the rest of its subject back, the other subjects go on', async () => {
      const partner = await createActor(api.baseUrl, 'partner');
      const endpoint = await registerEndpoint(partner, '/batch-order');
      // The first attempt of B's second message fails: B's later messages must wait for its retry.
      receiver.on('/batch-order', (a, nth) =>
        dataOf(a).subject === 'B' && dataOf(a).seq === 1 && nth === 1 ? { status: 503 } : { status: 200 },
      );
      const subjects = ['A', 'B', 'C', 'D'];
      const keys = Object.fromEntries(subjects.map((s) => [s, randomUUID()]));
      // Interleaved, as a flash sale's outcomes are: A0 B0 C0 D0 A1 B1 ...
      const messages = Array.from({ length: 5 }, (_, seq) =>
        subjects.map((subject) => ({ orderingKey: keys[subject]!, data: { subject, seq } })),
      ).flat();
      await appendMessages(partner, messages);
      await waitFor(
        async () => {
          const list = await deliveries(partner, endpoint.id);
          return list.length === 20 && list.every((d: { status: string }) => d.status === 'delivered');
        },
        60000,
        'the 20 messages delivered',
      );
      const arrivals = receiver.at('/batch-order');
      for (const subject of subjects) {
        const seqs = arrivals.filter((a) => dataOf(a).subject === subject).map((a) => dataOf(a).seq);
        // Never a later message before an earlier one; B's second message twice (503, then 200).
        expect(seqs).toEqual(subject === 'B' ? [0, 1, 1, 2, 3, 4] : [0, 1, 2, 3, 4]);
      }
      const b = (await deliveries(partner, endpoint.id)) as { attempts: number }[];
      expect(b.map((d) => d.attempts).sort()).toEqual([...Array(19).fill(1), 2]);
    });

    describe('test messages (POST /webhook-endpoints/{id}/test)', () => {
      const sendTest = (owner: Actor, id: string) =>
        request(api.baseUrl).post(`/webhook-endpoints/${id}/test`).set(owner.auth);

      test('a signed webhook.test reaches that endpoint only, through the delivery path, and is listed in its deliveries', async () => {
        const partner = await createActor(api.baseUrl, 'partner');
        const other = await createActor(api.baseUrl, 'partner');
        const target = await registerEndpoint(partner, '/test-target');
        const sibling = await registerEndpoint(partner, '/test-sibling');
        const stranger = await registerEndpoint(other, '/test-stranger');
        const adminEndpoint = await registerEndpoint(admin, '/test-admin');

        const res = await sendTest(partner, target.id);
        expect(res.status).toBe(202);
        expect(res.body).toMatchObject({
          endpointId: target.id,
          type: 'webhook.test',
          messageId: expect.stringMatching(/^msg_/),
          status: 'pending',
          attempts: 0,
        });
        const arrival = await waitFor(
          async () => receiver.at('/test-target').find((a) => a.webhookId === res.body.messageId),
          DEFAULT_WAIT_MS,
          'the test message',
        );
        // Verified with the endpoint's secret by the standardwebhooks package, as a partner would.
        const verified = WebhookReceiver.verify(arrival, target.secret) as Record<string, unknown>;
        expect(verified).toEqual({
          type: 'webhook.test',
          timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          data: { endpointId: target.id, message: expect.any(String) },
        });
        const listed = await waitFor(
          async () =>
            (await deliveries(partner, target.id)).find(
              (d: { id: string; status: string }) => d.id === res.body.id && d.status === 'delivered',
            ),
          DEFAULT_WAIT_MS,
          'the test delivery to be recorded',
        );
        expect(listed).toMatchObject({ type: 'webhook.test', messageId: res.body.messageId, attempts: 1 });
        // One delivery of the message, to the target: the relay never fanned it out (it was
        // written relayed), so neither the owner's other endpoint, another partner's, nor an
        // admin's (which receive every message) has one or received it.
        expect(
          await countRows(
            api.deps.sequelize,
            `webhook_deliveries d JOIN webhook_outbox o ON o.id = d.outbox_id
              WHERE o.message_id = $messageId AND o.relayed_at IS NOT NULL`,
            { messageId: res.body.messageId },
          ),
        ).toBe(1);
        for (const path of ['/test-sibling', '/test-stranger', '/test-admin'])
          expect(receiver.at(path)).toEqual([]);
        for (const [owner, id] of [
          [partner, sibling.id],
          [other, stranger.id],
          [admin, adminEndpoint.id],
        ] as const) {
          expect(await deliveries(owner, id)).toEqual([]);
        }
      });

      test("refused: another partner's endpoint 404, a user 403, a disabled endpoint 409, an unknown id 404; more than 5 a minute 429", async () => {
        const partner = await createActor(api.baseUrl, 'partner');
        const other = await createActor(api.baseUrl, 'partner');
        const user = await createActor(api.baseUrl, 'user');
        const endpoint = await registerEndpoint(partner, '/test-limits');
        expectApiError(await sendTest(other, endpoint.id), 404, 'not_found');
        expectApiError(await sendTest(user, endpoint.id), 403, 'forbidden');
        expectApiError(await sendTest(partner, randomUUID()), 404, 'not_found');
        expectApiError(await sendTest(partner, 'not-a-uuid'), 400);

        const disabled = await registerEndpoint(partner, '/test-disabled');
        await request(api.baseUrl)
          .patch(`/webhook-endpoints/${disabled.id}`)
          .set(partner.auth)
          .send({ status: 'disabled' })
          .expect(200);
        expectApiError(await sendTest(partner, disabled.id), 409, 'endpoint_disabled');
        expect(await deliveries(partner, disabled.id)).toEqual([]);

        // An admin may test any endpoint; it counts towards the same limit.
        for (const owner of [partner, partner, admin, partner, partner]) {
          expect((await sendTest(owner, endpoint.id)).status).toBe(202);
        }
        const limited = await sendTest(partner, endpoint.id);
        expectApiError(limited, 429, 'rate_limited');
        expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
        expect(await deliveries(partner, endpoint.id)).toHaveLength(5);
      });
    });
  });

  test('a worker killed (SIGKILL) with deliveries in flight: all delivered after restart, once each', async () => {
    // Until the first worker is killed, every attempt is refused (503, Retry-After: 1). Under load
    // the outcomes are decided, and so first attempted, in several batches seconds apart, so
    // these workers get rules under which that cannot change the result:
    // - the circuit threshold is above the most failures this endpoint can see (every attempt of
    //   every message). With the circuit open, the first attempts still to come would wait
    //   behind half-open probes, one per cool-down, while earlier messages used up their attempts.
    //   The breaker itself is the test above.
    // - each message may be retried RETRIES times, at least 1 s apart (Retry-After), so none is
    //   failed for good before the wait for the first attempts (FIRST_ATTEMPTS_MS) gives up.
    const MESSAGES = 10;
    const RETRIES = 100;
    const FIRST_ATTEMPTS_MS = 60_000;
    const crashEnv = {
      ...env,
      WEBHOOK_RETRY_SCHEDULE: Array(RETRIES).fill('1').join(','),
      WEBHOOK_CIRCUIT_THRESHOLD: String(MESSAGES * (RETRIES + 1) + 1),
    };
    const partner = await createActor(api.baseUrl, 'partner');
    const endpoint = await registerEndpoint(partner, '/crash');
    let up = false;
    receiver.on('/crash', () => (up ? { status: 200 } : { status: 503, headers: { 'Retry-After': '1' } }));
    const attempted = () => new Set(receiver.at('/crash').map((a) => a.webhookId)).size;
    const first = await startWorkerProcess(crashEnv);
    let second: Awaited<ReturnType<typeof startWorkerProcess>> | undefined;
    let requestIds: string[];
    try {
      const event = await createEvent(api.baseUrl, admin, { capacity: 20 });
      requestIds = await Promise.all(Array.from({ length: MESSAGES }, () => bookOne(partner, event.id)));
      // Outcomes committed and first attempts made (all refused), then the worker dies.
      await waitFor(
        async () => attempted() === MESSAGES,
        FIRST_ATTEMPTS_MS,
        () => `a first attempt of each of the ${MESSAGES} messages (${attempted()} so far)`,
      );
      await first.kill();

      up = true;
      second = await startWorkerProcess(crashEnv);
      await waitFor(
        async () => {
          const list = await deliveries(partner, endpoint.id);
          return list.length === MESSAGES && list.every((d: { status: string }) => d.status === 'delivered');
        },
        60_000,
        'every delivery after the restart',
      );
      expect(await second.stop()).toBe(0);
    } finally {
      // Whatever failed above, no worker process outlives the test.
      await first.kill();
      await second?.kill();
    }
    // From the receiver's side: each message accepted exactly once, every outcome covered.
    const accepted = receiver.at('/crash').filter((a) => a.answered === 200);
    expect(accepted).toHaveLength(MESSAGES);
    expect(new Set(accepted.map((a) => a.webhookId)).size).toBe(MESSAGES);
    expect(new Set(accepted.map((a) => a.payload.data.bookingRequest!.id))).toEqual(new Set(requestIds));
  }, 240_000);

  describe('endpoint registration', () => {
    test.each([
      ['not a URL', 'notaurl'],
      ['another scheme', 'ftp://127.0.0.1/x'],
      ['credentials in the URL', 'http://user:pass@127.0.0.1/x'],
      ['a private address', 'http://10.0.0.7/hook'],
      ['cloud metadata', 'http://169.254.169.254/latest/meta-data'],
      ['loopback by name (not allow-listed)', 'http://localhost/hook'],
      ['IPv6 loopback', 'http://[::1]/hook'],
      ['IPv4-compatible IPv6 loopback', 'http://[::127.0.0.1]/hook'],
      ['6to4 metadata', 'http://[2002:a9fe:a9fe::1]/hook'],
      ['decimal IPv4 loopback', 'http://2130706433/hook'],
    ])('refuses %s with 400', async (_, url) => {
      const partner = await createActor(api.baseUrl, 'partner');
      const res = await request(api.baseUrl)
        .post('/webhook-endpoints')
        .set(partner.auth)
        .send({ url, eventTypes: ['booking.confirmed'] });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      const list = await request(api.baseUrl).get('/webhook-endpoints').set(partner.auth);
      expect(list.body.data).toEqual([]);
    });

    test.each([
      ['an unknown event type', { eventTypes: ['booking.exploded'] }],
      ['no event types', { eventTypes: [] }],
      ['duplicate event types', { eventTypes: ['booking.confirmed', 'booking.confirmed'] }],
      ['an unknown field', { eventTypes: ['booking.confirmed'], secret: 'mine' }],
    ])('refuses %s with 400', async (_, body) => {
      const partner = await createActor(api.baseUrl, 'partner');
      const res = await request(api.baseUrl)
        .post('/webhook-endpoints')
        .set(partner.auth)
        .send({ url: `${receiver.baseUrl}/x`, ...body });
      expect(res.status).toBe(400);
    });

    test("the allow-list opens the receiver's host:port only, not the host's other ports", async () => {
      const partner = await createActor(api.baseUrl, 'partner');
      const receiverPort = new URL(receiver.baseUrl).port;
      for (const url of [
        `${api.baseUrl}/health/live`, // the API itself, on the same host
        'http://127.0.0.1:6379/', // Redis
        'http://127.0.0.1:5432/', // PostgreSQL
        `http://localhost:${receiverPort}/x`, // the allowed port under another name
        `http://[::1]:${receiverPort}/x`,
      ]) {
        const res = await request(api.baseUrl)
          .post('/webhook-endpoints')
          .set(partner.auth)
          .send({ url, eventTypes: ['booking.confirmed'] });
        expect({ url, status: res.status }).toEqual({ url, status: 400 });
      }
      expect((await request(api.baseUrl).get('/webhook-endpoints').set(partner.auth)).body.data).toEqual([]);
      const allowed = await registerEndpoint(partner, '/allowed');
      expect(
        (await request(api.baseUrl).delete(`/webhook-endpoints/${allowed.id}`).set(partner.auth)).status,
      ).toBe(204);
    });

    test('production mode refuses plain http', async () => {
      await expect(
        checkEndpointUrl('http://example.com/hook', { ...config.webhooks, requireHttps: true }),
      ).rejects.toThrow('must be https');
    });

    test('users cannot register endpoints; partners see only their own', async () => {
      const user = await createActor(api.baseUrl, 'user');
      const denied = await request(api.baseUrl)
        .post('/webhook-endpoints')
        .set(user.auth)
        .send({ url: `${receiver.baseUrl}/x`, eventTypes: ['booking.confirmed'] });
      expect(denied.status).toBe(403);
      const [a, b] = await Promise.all([
        createActor(api.baseUrl, 'partner'),
        createActor(api.baseUrl, 'partner'),
      ]);
      const mine = await registerEndpoint(a, '/mine');
      expect((await request(api.baseUrl).get(`/webhook-endpoints/${mine.id}`).set(b.auth)).status).toBe(404);
      expect((await request(api.baseUrl).get('/webhook-endpoints').set(b.auth)).body.data).toEqual([]);
      const got = await request(api.baseUrl).get(`/webhook-endpoints/${mine.id}`).set(a.auth);
      expect(got.body).toMatchObject({ id: mine.id, status: 'enabled' });
      expect(got.body.secret).toBeUndefined();
      expect(JSON.stringify(got.body)).not.toContain('whsec_');
      expect((await request(api.baseUrl).delete(`/webhook-endpoints/${mine.id}`).set(a.auth)).status).toBe(
        204,
      );
      expect((await request(api.baseUrl).get(`/webhook-endpoints/${mine.id}`).set(a.auth)).status).toBe(404);
    });
  });
});
