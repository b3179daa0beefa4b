import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { TEST_DATABASE_URL } from './support/database.js';

/**
 * Which index PostgreSQL reads for queries over queued booking requests once the table holds
 * many old (decided) rows: ANALYZE then finds no queued request in its sample, every partial
 * index over queued rows looks empty to the planner, and the index chosen is whichever the query
 * can use that is smallest (migration 0022). On this session's own copy of `booking_requests`
 * (the same columns, defaults, constraints and indexes), so no other test's rows or locks count.
 */
describe('queries over queued requests on a table of old rows', () => {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  const busyEvent = randomUUID();
  const quietEvent = randomUUID();
  /** The copy's index of each kind, by its definition. */
  let byEventIndex: string;
  let byAgeIndex: string;

  beforeAll(async () => {
    await client.connect();
    await client.query('CREATE TEMP TABLE requests (LIKE booking_requests INCLUDING ALL)');
    await client.query(
      `INSERT INTO requests (user_id, event_id, kind, payload, fingerprint, status, reason, decided_at)
       SELECT gen_random_uuid(), $1, 'book', '{"quantity": 1}', 'old', 'rejected', 'sold_out', now()
         FROM generate_series(1, 50000)`,
      [busyEvent],
    );
    await client.query('ANALYZE requests');
    // After ANALYZE, as in a sale: a backlog the statistics do not know of.
    await client.query(
      `INSERT INTO requests (user_id, event_id, kind, payload, fingerprint)
       SELECT gen_random_uuid(), $1, 'book', '{"quantity": 1}', 'new' FROM generate_series(1, 5000)`,
      [busyEvent],
    );
    const { rows } = await client.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'requests' AND indexdef LIKE '%queued%'`,
    );
    const named = (columns: string) =>
      rows.find((r) => r.indexdef.includes(` (${columns}) WHERE`))!.indexname;
    byEventIndex = named('event_id, seq');
    byAgeIndex = named('queued_at');
  });

  afterAll(async () => {
    await client.end();
  });

  /** The indexes the plan of `query` reads, and the buffers it touched running it. */
  async function planOf(query: string, params: unknown[]): Promise<{ indexes: string[]; buffers: number }> {
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${query}`, params);
    const indexes: string[] = [];
    const walk = (node: Record<string, unknown>) => {
      if (typeof node['Index Name'] === 'string') indexes.push(node['Index Name']);
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
    };
    const plan = rows[0]['QUERY PLAN'][0].Plan;
    walk(plan);
    return { indexes, buffers: plan['Shared Hit Blocks'] + plan['Shared Read Blocks'] };
  }

  test("one event's queue (intake's count) reads the index by event, not every event's backlog", async () => {
    const count = await planOf(
      `SELECT count(*) FROM (SELECT 1 FROM requests WHERE event_id = $1 AND status = 'queued' LIMIT 20000) q`,
      [quietEvent],
    );
    expect(count.indexes).toEqual([byEventIndex]);
    // A probe, not a read of the 5,000 queued entries of the other event and their rows.
    expect(count.buffers).toBeLessThan(10);
  });

  test('a position in the queue (intake, a status read) reads the index by event', async () => {
    const position = await planOf(
      `SELECT count(*) FROM (
         SELECT 1 FROM requests WHERE event_id = $1 AND status = 'queued' AND seq < $2 LIMIT 99) q`,
      [quietEvent, '9000000000'],
    );
    expect(position.indexes).toEqual([byEventIndex]);
    expect(position.buffers).toBeLessThan(10);
  });

  test("the allocator's arrival horizon and work list read the index by event", async () => {
    const horizon = await planOf(`SELECT max(seq) FROM requests WHERE event_id = $1 AND status = 'queued'`, [
      quietEvent,
    ]);
    expect(horizon.indexes).toEqual([byEventIndex]);
    const workList = await planOf(
      `SELECT * FROM requests WHERE event_id = $1 AND status = 'queued' AND seq <= $2
        ORDER BY seq LIMIT 500 FOR UPDATE`,
      [quietEvent, '9000000000'],
    );
    expect(workList.indexes).toEqual([byEventIndex]);
    expect(horizon.buffers + workList.buffers).toBeLessThan(20);
  });

  test("the reconciler's stale requests, oldest first, still read the index by age", async () => {
    const stale = await planOf(
      `SELECT id, event_id FROM requests
        WHERE status = 'queued' AND queued_at < now() - make_interval(secs => 30)
        ORDER BY queued_at LIMIT 1000`,
      [],
    );
    expect(stale.indexes).toEqual([byAgeIndex]);
  });
});
