import { QueryTypes } from 'sequelize';
import { GroupCommit } from '../api/intake/index.js';
import { NO_REFERENCE } from '../shared/domain.js';
import { activeEventsKey } from '../shared/queues.js';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';

/** No worker runs here: what intake wrote and rang stays as it left it. */
describe('intake group commit: requests for many events, one statement', () => {
  const api = useTestApi();
  let admin: Actor;
  let users: Actor[];

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    users = await Promise.all(Array.from({ length: 6 }, (_, i) => registerUser(api.baseUrl, `intake${i}`)));
  });

  test('each event gets its own places, its own eligibility and its own doorbell', async () => {
    const a = await createEvent(api.baseUrl, admin, { capacity: 10 });
    const b = await createEvent(api.baseUrl, admin, { capacity: 10 });
    const draft = await createEvent(api.baseUrl, admin, { capacity: 10, status: 'draft' });
    // Interleaved and handed to the group commit in one tick, as concurrent submissions are once
    // past backpressure: one statement takes them all.
    const groups = new GroupCommit(api.deps.sequelize, api.deps);
    const plan = [a, b, a, draft, b, b];
    const results = await Promise.all(
      plan.map((event, i) =>
        groups.submit(event.id, true, {
          userId: users[i]!.id,
          kind: 'book',
          payload: { quantity: 1 },
          reference: NO_REFERENCE,
          idempotencyKey: null,
          fingerprint: `book:${event.id}:1`,
          traceContext: null,
        }),
      ),
    );

    // The draft cannot take bookings: its request is left out, and only it.
    expect(results[3]).toEqual({ inserted: null, eligible: false, accountRefused: false });
    const inserted = results.flatMap((r) => (r.inserted ? [r.inserted] : []));
    expect(inserted).toHaveLength(5);
    // Places count per event, in arrival order: a, b, a, b, b.
    expect(inserted.map((row) => row.position)).toEqual([1, 1, 2, 2, 3]);

    const ids = inserted.map((row) => row.id);
    const rows = await api.deps.sequelize.query<{ event_id: string; tx: string }>(
      'SELECT event_id, xmin::text AS tx FROM booking_requests WHERE id = ANY($ids::uuid[]) ORDER BY seq',
      { bind: { ids }, type: QueryTypes.SELECT },
    );
    // One transaction (one statement) wrote all five rows.
    expect(new Set(rows.map((r) => r.tx)).size).toBe(1);
    expect(rows.map((r) => r.event_id)).toEqual([a.id, b.id, a.id, b.id, b.id]);
    const [draftRows] = await api.deps.sequelize.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM booking_requests WHERE event_id = $id',
      { bind: { id: draft.id }, type: QueryTypes.SELECT },
    );
    expect(draftRows!.n).toBe(0);

    // Each event was rung once, with the job of its last request of the group, and is in line.
    const waitingIds = async (eventId: string) =>
      (await api.deps.queues.get(eventId).getJobs(['wait', 'prioritized'])).map((j) => j.id);
    expect(await waitingIds(a.id)).toEqual([ids[2]]);
    expect(await waitingIds(b.id)).toEqual([ids[4]]);
    const line = activeEventsKey(api.config.redisPrefix);
    expect(await api.deps.redis.zscore(line, a.id)).not.toBeNull();
    expect(await api.deps.redis.zscore(line, b.id)).not.toBeNull();
    expect(await api.deps.redis.zscore(line, draft.id)).toBeNull();
  });
});
