import { runChaos } from '../bench/chaos.js';

/**
 * The short chaos run of `npm run chaos` (see bench/chaos.ts): a flash sale with cancellations
 * while a worker process is SIGKILLed and Redis crashes (AOF, last second lost) and restarts.
 * The long run, with PostgreSQL crashes too, is `npm run chaos`.
 */
describe('chaos: worker kill and Redis crash during a flash sale', () => {
  test('every accepted request is decided once, nothing oversold, every webhook arrives', async () => {
    const report = await runChaos({
      seconds: 12,
      requests: 300,
      seats: 150,
      clients: 20,
      workers: 2,
      killEveryMs: 5000,
      redisRestarts: 1,
      pgRestarts: 0,
    });
    process.stdout.write(`chaos: ${JSON.stringify(report)}\n`);
    expect(report.kills).toBeGreaterThanOrEqual(1);
    expect(report.redisRestarts).toBe(1);
    expect(report.accepted).toBeGreaterThanOrEqual(300);
    expect(report).toMatchObject({
      lost: 0,
      duplicated: 0,
      oversold: 0,
      webhooksMissing: 0,
      counterDrift: 0,
    });
    expect(report.decided).toBe(report.accepted);
  }, 180_000);
});
