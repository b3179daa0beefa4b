import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { pino } from 'pino';
import { CSV_BATCH_SIZE } from '../api/services/attendees-csv.js';
import { type Actor, createActor } from './support/actors.js';
import { seedAttendees } from './support/attendees.js';
import { useTestApi } from './support/environment.js';
import { waitFor } from './support/harness.js';

/**
 * Bookings enough for 10 batches, far more than the client reads before it goes: each batch is a
 * database round trip, and the client (in this process) gets the first bytes in between.
 */
const BOOKINGS = 10 * CSV_BATCH_SIZE;

/**
 * A client that closes the connection while its answer streams (a download given up) is the
 * client's business: a debug line, never an error; and the export stops reading PostgreSQL.
 */
describe('a client that goes away mid-answer', () => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'debug', base: { role: 'api' } },
    { write: (line) => lines.push(JSON.parse(line)) },
  );
  const api = useTestApi({}, { logger });
  let admin: Actor;
  let eventId: string;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    ({ eventId } = await seedAttendees(api.deps.sequelize, {
      count: BOOKINGS,
      buyers: 10,
      tag: `abort-${randomUUID()}`,
    }));
  });

  /**
   * The export's database reads (batches of the attendee list of this test's event), and how many
   * of them had started when the server saw the client's connection close.
   */
  function watchExport() {
    const seen = { batches: 0, batchesWhenClosed: null as number | null };
    const isBatch = (options: { bind?: unknown }) => {
      const bind = options.bind as { eventId?: unknown; limit?: unknown } | undefined;
      return bind?.eventId === eventId && bind.limit === CSV_BATCH_SIZE;
    };
    api.deps.sequelize.addHook('beforeQuery', 'watch-export', (options) => {
      if (isBatch(options as { bind?: unknown })) seen.batches += 1;
    });
    // Registered before Koa's own listeners (the request has not reached the app yet), so it runs
    // first when the connection closes: no batch can start between it and the export's end.
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.url?.includes(eventId))
        res.on('close', () => {
          if (!res.writableFinished) seen.batchesWhenClosed = seen.batches;
        });
    };
    api.server.prependListener('request', onRequest);
    return {
      seen,
      stop() {
        api.deps.sequelize.removeHook('beforeQuery', 'watch-export');
        api.server.off('request', onRequest);
      },
    };
  }

  /** GET the CSV; with `abort`, close the connection as soon as the first bytes arrive. */
  function download(requestId: string, abort: boolean): Promise<{ bytes: number; aborted: boolean }> {
    return new Promise((resolve, reject) => {
      const req = http.get(
        `${api.baseUrl}/admin/events/${eventId}/bookings.csv`,
        { headers: { ...admin.auth, 'X-Request-Id': requestId } },
        (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (abort) {
              req.destroy();
              resolve({ bytes, aborted: true });
            }
          });
          res.on('end', () => resolve({ bytes, aborted: false }));
        },
      );
      req.on('error', (err) => {
        if (!abort) reject(err);
      });
    });
  }

  const linesOf = (requestId: string) => lines.filter((l) => l.requestId === requestId);
  const errors = () => lines.filter((l) => Number(l.level) >= 50);

  test('an aborted CSV download is noted at debug, never as an error, and reads no batch after the client left', async () => {
    const watch = watchExport();
    const requestId = `abort-${randomUUID()}`;
    try {
      expect(await download(requestId, true)).toMatchObject({ aborted: true });
      const noted = await waitFor(
        async () =>
          linesOf(requestId).find((l) => l.msg === 'client closed the connection before the answer ended'),
        10_000,
        () => `the abort in the log; the request's lines: ${JSON.stringify(linesOf(requestId))}`,
      );
      // Which one depends on the moment: the pipe cut short, or the peer's reset of unread data.
      expect(noted).toMatchObject({
        level: 20,
        code: expect.stringMatching(/^(ERR_STREAM_PREMATURE_CLOSE|ECONNRESET)$/),
      });
    } finally {
      watch.stop();
    }
    expect(errors()).toEqual([]);
    // The server saw the close before the export was through, and read nothing more after it.
    expect(watch.seen.batchesWhenClosed).not.toBeNull();
    expect(watch.seen.batches).toBe(watch.seen.batchesWhenClosed);
    expect(watch.seen.batches).toBeLessThan(BOOKINGS / CSV_BATCH_SIZE);
  });

  test('control: the same download read to its end reads every batch and notes no abort', async () => {
    const watch = watchExport();
    const requestId = `whole-${randomUUID()}`;
    try {
      const { bytes, aborted } = await download(requestId, false);
      expect(aborted).toBe(false);
      expect(bytes).toBeGreaterThan(BOOKINGS * 50);
    } finally {
      watch.stop();
    }
    // Every full batch, then the short one that ends the export.
    expect(watch.seen).toEqual({ batches: BOOKINGS / CSV_BATCH_SIZE + 1, batchesWhenClosed: null });
    expect(linesOf(requestId).map((l) => l.msg)).not.toContain(
      'client closed the connection before the answer ended',
    );
    expect(errors()).toEqual([]);
  });
});
