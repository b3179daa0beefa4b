import { runDrill } from '../bench/drill.js';
import { judgeRequests, type Statuses } from '../bench/drill-verdict.js';
import { TEST_DATABASE_URL } from './support/database.js';

/**
 * The short run of `npm run drill` (see bench/drill.ts): a sale backed up live with pg_dump,
 * the primary lost, the backup restored into a new database and the service started on it with
 * an empty Redis. Its databases are named after the test database, so parallel runs on one
 * server do not collide.
 */
describe('backup and restore drill', () => {
  test('every request the backup holds is decided exactly once after restore and Redis loss', async () => {
    const report = await runDrill({
      databaseUrl: TEST_DATABASE_URL,
      databasePrefix: `${new URL(TEST_DATABASE_URL).pathname.slice(1)}_drill`,
      seconds: 4,
      requests: 240,
      seats: 120,
      clients: 10,
      workers: 1,
      backupAt: 0.5,
      recoveryTimeoutSeconds: 60,
      // A restored sale is older than the grace already; a short interval only speeds the sweeps.
      serviceEnv: { RECONCILE_INTERVAL_MS: '1000', RECONCILE_GRACE_MS: '2000' },
    });
    process.stdout.write(`drill: ${JSON.stringify(report)}\n`);
    expect(report).toMatchObject({
      lost: 0,
      redecided: 0,
      oversold: 0,
      counterDrift: 0,
      overdueHolds: 0,
      webhooksMissing: 0,
      revokedTokenAcceptedAfterRedisLoss: false,
    });
    expect(report.accepted).toBeGreaterThan(0);
    expect(report.decided).toBe(report.accepted);
  }, 240_000);
});

describe('judging a restore', () => {
  const statuses = (entries: Record<string, [string, number | null] | string>): Statuses =>
    new Map(
      Object.entries(entries).map(([id, v]) => {
        const [status, decidedAt] = typeof v === 'string' ? [v, v === 'queued' ? null : 1] : v;
        return [id, { status, decidedAt }];
      }),
    );

  test('a 202 before the backup missing from it is lost; one after it is counted, not lost', () => {
    const verdict = judgeRequests({
      acceptedAt: new Map([
        ['before-kept', 10],
        ['before-missing', 20],
        ['after-kept', 40],
        ['after-gone', 50],
      ]),
      backupStartedAt: 30,
      onLostPrimary: statuses({
        'before-kept': 'confirmed',
        'before-missing': 'confirmed',
        'after-kept': 'confirmed',
        'after-gone': 'rejected',
      }),
      inBackup: statuses({ 'before-kept': 'confirmed', 'after-kept': 'queued' }),
      afterRecovery: statuses({ 'before-kept': 'confirmed', 'after-kept': 'rejected' }),
    });
    expect(verdict).toEqual({
      accepted: 3,
      decided: 2,
      lost: 1,
      redecided: 0,
      acceptedAfterBackup: 1,
      decidedAgainAfterRestore: 1,
      outcomeChanged: 1,
    });
  });

  test('a decision in the backup made again is redecided; one still queued is lost; waitlisted may move on', () => {
    const verdict = judgeRequests({
      acceptedAt: new Map(),
      backupStartedAt: 0,
      onLostPrimary: new Map(),
      inBackup: statuses({ a: ['confirmed', 1], b: 'queued', w: ['waitlisted', 1] }),
      afterRecovery: statuses({ a: ['confirmed', 2], b: 'queued', w: ['confirmed', 3] }),
    });
    expect(verdict).toMatchObject({ accepted: 3, decided: 2, lost: 1, redecided: 1 });
  });
});
