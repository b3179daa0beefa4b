import request from 'supertest';
import { type Actor, createActor, createEvent, registerUser } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { DEFAULT_WAIT_MS, startInProcessWorker, waitFor } from './support/harness.js';

describe('Prefer: wait=N on GET /booking-requests/:id and on submissions', () => {
  // The cap is far above how long a decision takes even on a loaded machine, so "woken by the
  // decision" and "gave up at the cap" cannot be confused.
  const api = useTestApi({ LONG_POLL_MAX_SECONDS: '30' });
  let admin: Actor;
  let user: Actor;

  beforeAll(async () => {
    admin = await createActor(api.baseUrl, 'admin');
    user = await registerUser(api.baseUrl);
  });

  test('a long-poll answers as soon as the request is decided, and gives up with the queued state at the deadline', async () => {
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

    // A waiting client is woken by the decision, well before its (capped) 30 s wait is over. It
    // is sent now (`then` sends a supertest request) and the worker starts only once the API
    // counts it among its long polls, so the decision cannot come before the client waits.
    const waiting = request(api.baseUrl)
      .get(`/booking-requests/${submitted.body.id}`)
      .set(user.auth)
      .set('Prefer', 'wait=60')
      .then((res) => res);
    await waitFor(async () => api.deps.decisions.size === 1, DEFAULT_WAIT_MS, 'the long poll to be waiting');
    const worker = await startInProcessWorker(api.config);
    try {
      const t1 = Date.now();
      const decided = await waiting;
      expect(decided.body).toMatchObject({ status: 'confirmed', position: null });
      expect(decided.headers['preference-applied']).toBe('wait=30');
      expect(Date.now() - t1).toBeLessThan(20000);
    } finally {
      await worker.close();
    }
  });

  test('a submission with Prefer: wait waits for its decision (200 with the outcome), or answers 202 at the deadline', async () => {
    const event = await createEvent(api.baseUrl, admin, { capacity: 1 });
    // No worker yet: the wait runs out and the answer is the usual 202, queued.
    const t0 = Date.now();
    const queued = await request(api.baseUrl)
      .post(`/events/${event.id}/bookings`)
      .set(user.auth)
      .set('Prefer', 'wait=1')
      .send({ quantity: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ status: 'queued', position: 1 });
    expect(queued.headers['preference-applied']).toBe('wait=1');
    expect(queued.headers.location).toBe(`/booking-requests/${queued.body.id}`);

    // Sent now; the worker starts once the API is waiting for this request's decision, so the
    // answer must come from the wake-up, well before the (capped) 30 s.
    const waiting = request(api.baseUrl)
      .post(`/events/${event.id}/bookings`)
      .set(user.auth)
      .set('Prefer', 'wait=60')
      .send({ quantity: 1 })
      .then((res) => res);
    await waitFor(async () => api.deps.decisions.size === 1, DEFAULT_WAIT_MS, 'the submission to be waiting');
    const worker = await startInProcessWorker(api.config);
    try {
      const t1 = Date.now();
      const decided = await waiting;
      expect(decided.status).toBe(200);
      // The first request took the only seat: the second one is told it is sold out.
      expect(decided.body).toMatchObject({ status: 'rejected', reason: 'sold_out', position: null });
      expect(decided.headers['preference-applied']).toBe('wait=30');
      expect(decided.headers.location).toBe(`/booking-requests/${decided.body.id}`);
      expect(Date.now() - t1).toBeLessThan(20000);
      // The first request, which waited out its second, was decided meanwhile: it has the seat.
      const first = await request(api.baseUrl).get(`/booking-requests/${queued.body.id}`).set(user.auth);
      expect(first.body).toMatchObject({ status: 'confirmed' });
    } finally {
      await worker.close();
    }
  });
});
