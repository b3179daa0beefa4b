import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { generateSecret, signatureHeader } from '../shared/webhooks/signing.js';
import { sendWebhook } from '../worker/webhooks/send.js';
import type { Actor } from './support/actors.js';
import { useTestApi } from './support/environment.js';
import { book, cancelBooking, createActor, createEvent, registerUser } from './support/factory.js';
import { repoRoot, waitFor } from './support/harness.js';
import { openApiContract } from './support/openapi-contract.js';

interface Line {
  msg: string;
  webhookId?: string;
  type?: string;
  summary?: string;
  port?: number;
}

/**
 * examples/webhook-receiver.ts, run as a partner would (`npx tsx`), receives messages the service
 * wrote (its outbox) and signed, sent by the worker's own delivery function: so the example keeps
 * working as the service changes. Its stdout is one JSON line per message.
 */
describe('the example webhook receiver', () => {
  const service = useTestApi({}, { workers: 'in-process' });
  const contract = openApiContract();
  const secret = generateSecret();
  let child: ChildProcess;
  let output = '';
  let url: string;

  const lines = (): Line[] =>
    output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Line);
  const send = (messageId: string, body: string, secrets = [secret]) =>
    sendWebhook(
      url,
      secrets,
      { messageId, body },
      {
        timeoutMs: 10000,
        allowPrivateDestinations: [new URL(url).host],
      },
    );

  beforeAll(async () => {
    child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'examples/webhook-receiver.ts')],
      {
        cwd: repoRoot,
        env: { ...process.env, NODE_OPTIONS: '', PORT: '0', EVENTLY_WEBHOOK_SECRET: secret },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr!.on('data', (chunk) => {
      output += chunk;
    });
    const listening = await waitFor(
      async () => lines().find((l) => l.msg === 'listening'),
      undefined,
      () => `the example to listen; its output:\n${output}`,
    );
    url = `http://127.0.0.1:${listening.port}/evently`;
  });

  afterAll(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });

  test('handles each message the service writes once, typed, and refuses what does not verify', async () => {
    const admin = await createActor(service.baseUrl, 'admin');
    const [first, second] = (await Promise.all([
      registerUser(service.baseUrl),
      registerUser(service.baseUrl),
    ])) as [Actor, Actor];
    const event = await createEvent(service.baseUrl, admin, { capacity: 1 });
    const booked = await book(service, first, event.id, { quantity: 1 });
    expect((await book(service, second, event.id, { quantity: 1, waitlist: true })).status).toBe(
      'waitlisted',
    );
    expect((await cancelBooking(service, first, booked.booking.id)).status).toBe('cancelled');
    const messages = await service.deps.sequelize.query<{ messageId: string; type: string; payload: object }>(
      `SELECT message_id AS "messageId", type, payload FROM webhook_outbox WHERE event_id = $id ORDER BY id`,
      { bind: { id: event.id }, type: QueryTypes.SELECT },
    );
    // booking.confirmed, booking.waitlisted, booking.cancelled, waitlist.promoted, at least.
    expect(messages.length).toBeGreaterThanOrEqual(4);

    for (const m of messages) {
      expect(contract.checkWebhook(m.payload)).toBeNull();
      expect(await send(m.messageId, JSON.stringify(m.payload))).toEqual({ kind: 'delivered', status: 204 });
    }
    const processed = await waitFor(
      async () => {
        const done = lines().filter((l) => l.msg === 'processed');
        return done.length >= messages.length && done;
      },
      undefined,
      () => `every message processed; output:\n${output}`,
    );
    const pairs = (list: { id?: string; type?: string }[]) => list.map((m) => `${m.id} ${m.type}`).sort();
    expect(pairs(processed.map((l) => ({ id: l.webhookId, type: l.type })))).toEqual(
      pairs(messages.map((m) => ({ id: m.messageId, type: m.type }))),
    );
    expect(processed.find((l) => l.type === 'booking.confirmed')?.summary).toBe(
      `booking ${booked.booking.id}: 1 ticket(s) confirmed`,
    );

    // A retry repeats the webhook-id: answered 2xx, not processed again.
    const [retried] = messages as [(typeof messages)[number]];
    expect(await send(retried.messageId, JSON.stringify(retried.payload))).toEqual({
      kind: 'delivered',
      status: 200,
    });
    await waitFor(
      async () => lines().some((l) => l.msg === 'duplicate' && l.webhookId === retried.messageId),
      undefined,
      () => `the retry to be seen as a duplicate; output:\n${output}`,
    );

    // During a secret rotation each message carries two signatures: one verifying is enough.
    const rotated = { ...retried, messageId: `msg_rotation-${event.id}` };
    expect(
      await send(rotated.messageId, JSON.stringify(rotated.payload), [generateSecret(), secret]),
    ).toEqual({
      kind: 'delivered',
      status: 204,
    });

    // Another secret, a changed body, a stale timestamp, no signature: 401, nothing processed.
    const body = JSON.stringify(retried.payload);
    expect(await send('msg_forged-1', body, [generateSecret()])).toMatchObject({
      kind: 'failed',
      status: 401,
    });
    const post = (headers: Record<string, string>, payload = body) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: payload,
      });
    const now = Math.floor(Date.now() / 1000);
    const signed = (id: string, timestamp: number, signedBody = body) => ({
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader([secret], id, timestamp, signedBody),
    });
    const tampered = body.replace('"quantity":1', '"quantity":9');
    expect(tampered).not.toBe(body);
    expect((await post(signed('msg_forged-2', now), tampered)).status).toBe(401);
    expect((await post(signed('msg_forged-3', now - 3600))).status).toBe(401);
    expect((await post({ 'webhook-id': 'msg_forged-4' })).status).toBe(401);
    expect((await fetch(url)).status).toBe(405);
    const refused = await waitFor(
      async () => {
        const ids = lines().filter((l) => l.msg === 'refused');
        return ids.length >= 4 && ids.map((l) => l.webhookId);
      },
      undefined,
      () => `four refusals; output:\n${output}`,
    );
    expect(refused).toEqual(['msg_forged-1', 'msg_forged-2', 'msg_forged-3', 'msg_forged-4']);
    await waitFor(
      async () => lines().some((l) => l.msg === 'processed' && l.webhookId === rotated.messageId),
      undefined,
      () => `the doubly signed message to be processed; output:\n${output}`,
    );
    expect(lines().filter((l) => l.msg === 'processed')).toHaveLength(messages.length + 1);
  });
});
