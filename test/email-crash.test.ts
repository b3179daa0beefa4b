import { QueryTypes } from 'sequelize';
import { useTestApi } from './support/environment.js';
import { book, createActor, createEvent, registerUser } from './support/factory.js';
import { startWorkerProcess, type WorkerProcess, waitFor } from './support/harness.js';
import { emailTestEnv, SmtpReceiver } from './support/smtp-receiver.js';

const CONCURRENCY = 4;
const EMAILS = 12;

describe('a sending worker killed mid-batch', () => {
  const receiver = new SmtpReceiver();
  beforeAll(() => receiver.start());
  // No worker of the file's own: the test starts the worker processes it kills.
  const api = useTestApi(() => ({ ...emailTestEnv(receiver), MAIL_CONCURRENCY: String(CONCURRENCY) }));
  afterAll(() => receiver.stop());

  test('every email still arrives exactly once; the one accepted just before the kill arrives at most twice, with one Message-ID', async () => {
    const admin = await createActor(api.baseUrl, 'admin');
    const users = await Promise.all(
      Array.from({ length: EMAILS }, (_, i) => registerUser(api.baseUrl, `crash${i}`)),
    );
    const mine = new Set(users.map((u) => u.email));
    const isMine = (to: string[]) => to.some((address) => mine.has(address));
    // The server holds its answer to each of these emails: the worker's every connection ends up
    // waiting on one, so the kill provably lands while emails are in flight.
    receiver.answer((email) => (isMine(email.to) ? 'hold' : 'accept'));

    let first: WorkerProcess | undefined = await startWorkerProcess(api.env);
    let second: WorkerProcess | undefined;
    try {
      const event = await createEvent(api.baseUrl, admin, { capacity: EMAILS });
      await Promise.all(users.map((u) => book(api, u, event.id, { quantity: 1 })));
      await waitFor(
        async () => receiver.inFlight().length === CONCURRENCY,
        undefined,
        () => `${CONCURRENCY} emails in flight (${receiver.inFlight().length})`,
      );
      // The one real window: the server accepted an email (250), the worker dies before it can
      // record that. The other in-flight ones were never answered, so never accepted.
      const [acceptedAtKill] = receiver.release('accept', 1);
      await first.kill();
      first = undefined;
      // The server sees the dropped connections; the emails held on them are discarded.
      await waitFor(async () => receiver.inFlight().length === 0);
      receiver.release('accept');
      receiver.answer(() => 'accept');

      second = await startWorkerProcess(api.env);
      await waitFor(
        async () => {
          const rows = await api.deps.sequelize.query<{ status: string }>(
            `SELECT n.status FROM email_notifications n JOIN users u ON u.id = n.user_id WHERE u.email = ANY ($emails)`,
            { bind: { emails: [...mine] }, type: QueryTypes.SELECT },
          );
          return rows.length === EMAILS && rows.every((r) => r.status === 'sent');
        },
        60_000,
        'every email sent after the restart',
      );
      expect(await second.stop()).toBe(0);
      second = undefined;

      // At the receiving server: one email per user, each Message-ID accepted once, except the
      // one accepted at the moment of the kill, which may have been sent again with its own id.
      const accepted = receiver.accepted.filter((e) => isMine(e.to));
      const byId = new Map<string, number>();
      for (const e of accepted) byId.set(e.messageId, (byId.get(e.messageId) ?? 0) + 1);
      expect(byId.size).toBe(EMAILS);
      expect(new Set(accepted.flatMap((e) => e.to))).toEqual(mine);
      for (const [id, count] of byId) {
        expect(count).toBeLessThanOrEqual(id === acceptedAtKill!.messageId ? 2 : 1);
      }
      // The emails in flight at the kill arrived twice (the first on a connection that died
      // unanswered) and were kept once.
      expect(receiver.arrived.filter((e) => isMine(e.to)).length).toBeGreaterThanOrEqual(
        EMAILS + CONCURRENCY - 1,
      );
    } finally {
      await first?.kill();
      await second?.kill();
    }
  }, 120_000);
});
