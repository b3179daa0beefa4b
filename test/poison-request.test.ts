import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { QueryTypes, Sequelize } from 'sequelize';
import request from 'supertest';
import { isPassingFailure } from '../worker/allocation/step-failures.js';
import { type RunningWorker, startWorker } from '../worker/index.js';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { TEST_DATABASE_URL } from './support/database.js';
import { useTestApi } from './support/environment.js';
import { queueBooking } from './support/factory.js';
import { outcomeOf, waitFor } from './support/harness.js';
import { expectEventInvariants } from './support/invariants.js';
import { withRefusedRows } from './support/rows.js';

const MAX_PROCESSING_ATTEMPTS = 3;

/** A worker in this process whose log lines (warn and up) the test reads. */
async function startLoggedWorker(config: Parameters<typeof startWorker>[0]) {
  const lines: string[] = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  const worker: RunningWorker = await startWorker(config, logger);
  return { worker, log: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('a poison request never stalls its event', () => {
  const api = useTestApi({ MAX_PROCESSING_ATTEMPTS: String(MAX_PROCESSING_ATTEMPTS) });
  let admin: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
  });

  const setAsideCount = async () => {
    const text = (await request(api.baseUrl).get('/metrics')).text;
    const line = text.split('\n').find((l) => l.startsWith('evently_booking_requests_set_aside_total '));
    return Number(line?.split(' ')[1] ?? 0);
  };

  const requestsInArrivalOrder = (eventId: string) =>
    api.deps.sequelize.query<{
      id: string;
      status: string;
      reason: string | null;
      attempts: number;
      error: string | null;
    }>(
      `SELECT id, status, reason, processing_attempts AS attempts, processing_error AS error
         FROM booking_requests WHERE event_id = $eventId ORDER BY seq`,
      { bind: { eventId }, type: QueryTypes.SELECT },
    );

  test('a request on which every step throws, in the middle of a sale, is set aside and the sale goes on in order', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 10 });
    const buyers = await Promise.all(Array.from({ length: 20 }, () => registerUser(api.baseUrl)));
    const poisoner = await registerUser(api.baseUrl);
    const before = await setAsideCount();
    // Any data error confined to one request would do: a trigger refuses the poisoner's booking.
    const refused = {
      table: 'bookings',
      column: 'user_id',
      value: poisoner.id,
      message: 'poison booking refused',
    };
    const { worker, log } = await startLoggedWorker(api.config);
    try {
      await withRefusedRows(api.deps.sequelize, refused, async () => {
        // The worker decides the sale as it arrives; the poison request comes in the middle, and
        // the buyers after it queue behind it.
        const ids: string[] = [];
        for (const [i, buyer] of buyers.entries()) {
          if (i === 8) ids.push(await queueBooking(api, poisoner, event.id, { quantity: 1 }));
          ids.push(await queueBooking(api, buyer, event.id, { quantity: 1 }));
        }
        const poisonId = ids[8]!;
        const poisoned = await outcomeOf(api.baseUrl, poisoner, poisonId);
        expect(poisoned).toMatchObject({ status: 'rejected', reason: 'processing_failed' });
        for (const [i, id] of ids.entries()) {
          if (i !== 8) await outcomeOf(api.baseUrl, buyers[i < 8 ? i : i - 1]!, id);
        }

        // Everyone else in arrival order: the first ten buyers got the ten seats, the rest sold out.
        const rows = await requestsInArrivalOrder(event.id);
        expect(rows.map((r) => r.id)).toEqual(ids);
        expect(rows.map((r) => [r.status, r.reason])).toEqual(
          ids.map((_, i) =>
            i === 8
              ? ['rejected', 'processing_failed']
              : i <= 10
                ? ['confirmed', null]
                : ['rejected', 'sold_out'],
          ),
        );
        expect(rows[8]).toMatchObject({ attempts: MAX_PROCESSING_ATTEMPTS, error: 'poison booking refused' });
        expect(rows.filter((r, i) => i !== 8 && r.attempts !== 0)).toEqual([]);
        expect(await expectEventInvariants(api.deps.sequelize, event.id)).toMatchObject({
          booked: 10,
          held: 0,
        });

        // The normal path of a rejection: its booking.rejected message is in the outbox.
        const messages = await api.deps.sequelize.query<{ payload: { data: { bookingRequest: unknown } } }>(
          `SELECT payload FROM webhook_outbox WHERE type = 'booking.rejected' AND ordering_key = $poisonId`,
          { bind: { poisonId }, type: QueryTypes.SELECT },
        );
        expect(messages.map((m) => m.payload.data.bookingRequest)).toEqual([
          { id: poisonId, kind: 'book', status: 'rejected', reason: 'processing_failed', details: null },
        ]);
        // A counter and a log line with the cause.
        expect(await setAsideCount()).toBe(before + 1);
        const setAside = log().filter(
          (l) =>
            l.msg ===
            'booking request set aside: rejected processing_failed after failing every allocation step',
        );
        expect(setAside).toEqual([
          expect.objectContaining({
            eventId: event.id,
            bookingRequestId: poisonId,
            attempts: MAX_PROCESSING_ATTEMPTS,
            cause: 'poison booking refused',
          }),
        ]);
      });
    } finally {
      await worker.close();
    }
  });

  test('a passing database failure, more often than MAX_PROCESSING_ATTEMPTS, sets nothing aside', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 10 });
    const victim = await registerUser(api.baseUrl);
    const others = await Promise.all(Array.from({ length: 7 }, () => registerUser(api.baseUrl)));
    const before = await setAsideCount();
    // A serialization failure (SQLSTATE 40001) on the victim's booking, the first few times only;
    // a sequence counts the tries, since a rolled-back write could not.
    const fn = `flaky_${randomUUID().replace(/-/g, '')}`;
    const failures = MAX_PROCESSING_ATTEMPTS + 2;
    await api.deps.sequelize.query(`
      CREATE SEQUENCE ${fn};
      CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.user_id::text = '${victim.id}' AND nextval('${fn}') <= ${failures} THEN
          RAISE EXCEPTION 'could not serialize access (injected)' USING ERRCODE = '40001';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER ${fn} BEFORE INSERT ON bookings FOR EACH ROW EXECUTE FUNCTION ${fn}();`);
    const { worker } = await startLoggedWorker(api.config);
    try {
      const victimId = await queueBooking(api, victim, event.id, { quantity: 1 });
      // Each later request's doorbell runs a step that meets the failure again, without backoff.
      const ids = [];
      for (const buyer of others) ids.push(await queueBooking(api, buyer, event.id, { quantity: 1 }));
      expect(await outcomeOf(api.baseUrl, victim, victimId)).toMatchObject({ status: 'confirmed' });
      for (const [i, id] of ids.entries()) await outcomeOf(api.baseUrl, others[i]!, id);

      const [tries] = await api.deps.sequelize.query<{ n: string }>(`SELECT last_value AS n FROM ${fn}`, {
        type: QueryTypes.SELECT,
      });
      expect(Number(tries!.n)).toBeGreaterThan(failures);
      const rows = await requestsInArrivalOrder(event.id);
      expect(rows.map((r) => [r.status, r.attempts])).toEqual(rows.map(() => ['confirmed', 0]));
      expect(await setAsideCount()).toBe(before);
      await expectEventInvariants(api.deps.sequelize, event.id);
    } finally {
      await worker.close();
      await api.deps.sequelize.query(
        `DROP TRIGGER ${fn} ON bookings; DROP FUNCTION ${fn}(); DROP SEQUENCE ${fn};`,
      );
    }
  });
});

describe('which failures are passing ones (never counted against a request)', () => {
  let sequelize: Sequelize;
  beforeAll(() => {
    sequelize = new Sequelize(TEST_DATABASE_URL, { logging: false, pool: { max: 3 } });
  });
  afterAll(() => sequelize.close());

  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (err: unknown) => err,
    );

  test('a connection terminated under a running statement (pg_terminate_backend) is passing', async () => {
    const marker = `sleep_${randomUUID().slice(0, 8)}`;
    const sleeping = failureOf(sequelize.query(`SELECT pg_sleep(30) AS ${marker}`));
    const [target] = await waitFor(async () => {
      const rows = await sequelize.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE query LIKE $pattern AND pid <> pg_backend_pid()`,
        { bind: { pattern: `%AS ${marker}%` }, type: QueryTypes.SELECT },
      );
      return rows.length > 0 && rows;
    });
    await sequelize.query('SELECT pg_terminate_backend($pid)', { bind: { pid: target!.pid } });
    const err = await sleeping;
    expect(isPassingFailure(err)).toBe(true);
  });

  test('serialization failures and deadlocks are passing; data errors, raised exceptions and code errors are not', async () => {
    const raise = (code: string) =>
      failureOf(sequelize.query(`DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '${code}'; END $$`));
    expect(isPassingFailure(await raise('40001'))).toBe(true);
    expect(isPassingFailure(await raise('40P01'))).toBe(true);
    expect(isPassingFailure(await raise('57P01'))).toBe(true);
    expect(isPassingFailure(await failureOf(sequelize.query(`SELECT 'x'::int`)))).toBe(false);
    expect(isPassingFailure(await failureOf(sequelize.query('SELECT 1 / 0')))).toBe(false);
    expect(isPassingFailure(await raise('P0001'))).toBe(false);
    expect(isPassingFailure(await raise('23505'))).toBe(false);
    expect(isPassingFailure(new Error('a ledger bug'))).toBe(false);
    expect(isPassingFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
  });
});
