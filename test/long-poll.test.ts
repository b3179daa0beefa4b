import request from 'supertest';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { testConfig, testEnv } from './support/config.js';
import { type StartedApi, startInProcessWorker, startTestApi, stopTestApi } from './support/harness.js';

describe('GET /booking-requests/:id with Prefer: wait=N', () => {
  const env = testEnv({ LONG_POLL_MAX_SECONDS: '5' });
  const config = testConfig(env);
  let api: StartedApi;
  let admin: Actor;
  let user: Actor;

  beforeAll(async () => {
    api = await startTestApi(config);
    admin = await createActor(api.baseUrl, 'admin');
    user = await registerUser(api.baseUrl);
  });

  afterAll(() => stopTestApi(api, env));

  test('answers as soon as the request is decided, and gives up with the queued state at the deadline', async () => {
    const event = await createEvent(api.baseUrl, admin);
    const submitted = await request(api.baseUrl)
      .post(`/events/${event.id}/bookings`)
      .set(user.auth)
      .send({ quantity: 1 });
    expect(submitted.body).toMatchObject({ status: 'queued', position: 1 });

    // No worker yet: the wait runs out (capped at LONG_POLL_MAX_SECONDS) and says "still queued".
    const t0 = Date.now();
    const timedOut = await request(api.baseUrl)
      .get(`/booking-requests/${submitted.body.id}`)
      .set(user.auth)
      .set('Prefer', 'wait=1');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(timedOut.body).toMatchObject({ status: 'queued', position: 1 });
    expect(timedOut.headers['preference-applied']).toBe('wait=1');

    // A waiting client is woken by the decision, well before its 5 s wait is over.
    const waiting = request(api.baseUrl)
      .get(`/booking-requests/${submitted.body.id}`)
      .set(user.auth)
      .set('Prefer', 'wait=30');
    const worker = await startInProcessWorker(config);
    try {
      const t1 = Date.now();
      const decided = await waiting;
      expect(decided.body).toMatchObject({ status: 'confirmed', position: null });
      expect(decided.headers['preference-applied']).toBe('wait=5');
      expect(Date.now() - t1).toBeLessThan(4500);
    } finally {
      await worker.close();
    }
  });
});
