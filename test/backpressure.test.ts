import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { submitBooking } from './support/factory.js';
import { DEFAULT_WAIT_MS, waitFor } from './support/harness.js';
import { expectApiError } from './support/http.js';
import { countRows } from './support/rows.js';

describe('backpressure: past MAX_QUEUE_DEPTH queued requests, bookings get 503 with Retry-After', () => {
  // No worker runs here, so every accepted request stays queued.
  const api = useTestApi({ MAX_QUEUE_DEPTH: '3' });
  let admin: Actor;
  let buyer: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    buyer = await registerUser(api.baseUrl, 'buyer');
  });

  test('the fourth request is refused quickly and recorded nowhere; a replay of an accepted one is still answered', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 100 });
    const book = (idempotencyKey: string) =>
      submitBooking(api, buyer, event.id, { quantity: 1 }, { idempotencyKey });
    for (const key of ['k1', 'k2', 'k3']) expect((await book(key)).status).toBe(202);
    // Each API process counts queued requests at most every 250 ms, so the reading intake uses may
    // still predate k3. Wait until that same reading (the API's own cache, read without booking)
    // says the queue is full; no worker runs, so it stays full from then on.
    await waitFor(
      async () => (await api.deps.intake.queuedRequests.count(event.id)) >= 3,
      DEFAULT_WAIT_MS,
      "the API's queued-requests reading to reach MAX_QUEUE_DEPTH",
    );

    const refused = await book('k4');
    expectApiError(refused, 503, 'queue_full');
    expect(refused.headers['retry-after']).toBe('5');
    const replay = await book('k2');
    expect(replay.status).toBe(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(
      await countRows(api.deps.sequelize, 'booking_requests WHERE event_id = $id', { id: event.id }),
    ).toBe(3);
  });
});
