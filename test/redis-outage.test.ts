import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import request from 'supertest';
import { type Actor, createActor, createEvent } from './support/actors.js';
import { testConfig, testEnv } from './support/config.js';
import { freePort } from './support/environment.js';
import { DEFAULT_WAIT_MS, type StartedApi, startTestApi, waitFor } from './support/harness.js';

/** A throw-away redis-server of this test's own, so the machine's Redis is never touched. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.end();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      }),
    DEFAULT_WAIT_MS,
    'redis-server to listen',
  );
  return child;
}

describe('Redis outage: the API says 503 quickly instead of hanging', () => {
  let redis: ChildProcess;
  let api: StartedApi;
  let admin: Actor;

  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    api = await startTestApi(testConfig(testEnv({ REDIS_URL: `redis://127.0.0.1:${port}` })));
    admin = await createActor(api.baseUrl, 'admin');
  });

  afterAll(async () => {
    redis.kill('SIGKILL');
    await api.close().catch(() => undefined); // its Redis is gone on purpose
  });

  test('readiness turns 503 and requests needing Redis fail fast with the error shape', async () => {
    const event = await createEvent(api.baseUrl, admin);
    expect((await request(api.baseUrl).get('/health/ready')).status).toBe(200);

    redis.kill('SIGKILL');
    const ready = await waitFor(
      async () => {
        const res = await request(api.baseUrl).get('/health/ready');
        return res.status === 503 && res;
      },
      DEFAULT_WAIT_MS,
      'readiness to fail',
    );
    expect(ready.body).toEqual({ status: 'unavailable', checks: { postgres: 'ok', redis: 'unavailable' } });
    expect(ready.headers['retry-after']).toBeDefined();
    expect((await request(api.baseUrl).get('/health/live')).status).toBe(200);

    const started = Date.now();
    const booking = await request(api.baseUrl)
      .post(`/events/${event.id}/bookings`)
      .set(admin.auth)
      .send({ quantity: 1 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(booking.status).toBe(503);
    expect(booking.body.error.code).toBe('service_unavailable');
    expect(booking.headers['retry-after']).toBe('5');

    // Sign-in's first Redis call is its rate limiter: it must fail fast too, not queue.
    const signInStarted = Date.now();
    const login = await request(api.baseUrl)
      .post('/auth/login')
      .send({ email: 'nobody@example.test', password: 'whatever-password' });
    expect(Date.now() - signInStarted).toBeLessThan(5000);
    expect(login.status).toBe(503);
    expect(login.body.error.code).toBe('service_unavailable');
    expect(login.headers['retry-after']).toBe('5');
  });
});
