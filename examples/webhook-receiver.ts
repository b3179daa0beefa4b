/**
 * A partner's Evently webhook receiver, runnable as it is:
 *
 *   EVENTLY_WEBHOOK_SECRET=whsec_... PORT=4000 npx tsx examples/webhook-receiver.ts
 *
 * It verifies each message's Standard Webhooks signature (401 if it does not verify), answers
 * 2xx at once and processes afterwards (Evently waits `WEBHOOK_TIMEOUT_MS` for an answer, then
 * retries), and handles each `webhook-id` once (retries repeat it). Payloads are typed from the
 * generated client (client/), so `switch (message.type)` knows each type's `data`.
 * test/example-webhook-receiver.test.ts runs it against messages the service writes and signs.
 * It prints one JSON line per message on stdout.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { WebhookMessage } from '../client/index.js';

const secret = process.env.EVENTLY_WEBHOOK_SECRET;
const port = Number(process.env.PORT ?? 4000);
if (!secret?.startsWith('whsec_')) {
  console.error('Set EVENTLY_WEBHOOK_SECRET to the whsec_... secret shown when you registered the endpoint');
  process.exit(1);
}
const webhook = new Webhook(secret);
/** Evently's messages are a few kB; anything much larger is not from it. */
const MAX_BODY_BYTES = 256 * 1024;

/**
 * The webhook-ids handled recently, oldest first, at most `limit` of them. In memory, so a
 * restart forgets them and several instances do not share them: in production record the id in
 * your database (a unique key), in the transaction that applies the message, and answer 2xx
 * only once that has committed or the message is durably queued.
 */
class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly limit: number) {}

  /** True the first time `id` is seen (and remembers it); false for a repeat. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    // A Set iterates in insertion order: the first is the oldest.
    if (this.ids.size > this.limit) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}
const handled = new RecentIds(10_000);

const log = (line: Record<string, unknown>) => console.log(JSON.stringify(line));

/** Your business logic; it runs after the answer was sent. */
async function processMessage(webhookId: string, message: WebhookMessage): Promise<void> {
  let summary: string;
  switch (message.type) {
    case 'booking.confirmed':
      summary = `booking ${message.data.booking.id}: ${message.data.booking.quantity} ticket(s) confirmed`;
      break;
    case 'booking.rejected':
      summary = `booking request ${message.data.bookingRequest.id} ${message.data.bookingRequest.status}: ${message.data.bookingRequest.reason}`;
      break;
    case 'booking.cancelled':
    case 'hold.released':
      // Both causes carry the same fields: the owner's request, or (reason) the event's cancellation.
      summary = message.data.reason ?? `by request ${message.data.bookingRequest?.id}`;
      break;
    case 'hold.created':
      summary = `hold ${message.data.hold.id}: confirm before ${message.data.hold.expiresAt}`;
      break;
    case 'waitlist.promoted':
      summary = message.data.booking ? `booked ${message.data.booking.id}` : `held ${message.data.hold?.id}`;
      break;
    case 'event.updated':
    case 'event.cancelled':
      summary = `${message.data.event.name}: ${message.data.event.status}`;
      break;
    default:
      summary = message.type;
  }
  log({ msg: 'processed', webhookId, type: message.type, summary });
}

function answer(res: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, headers).end();
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') return answer(res, 405, { allow: 'POST' });
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      answer(res, 413, { connection: 'close' });
      req.destroy();
    } else chunks.push(chunk);
  });
  req.on('end', () => {
    // Verify the raw bytes: a parsed and re-serialised body would not match the signature.
    const body = Buffer.concat(chunks).toString('utf8');
    const webhookId = String(req.headers['webhook-id']);
    let message: WebhookMessage;
    try {
      // Checks the signature (any of several, during a secret rotation) and that
      // webhook-timestamp is within 5 minutes of now (a replay is refused).
      message = webhook.verify(body, req.headers as Record<string, string>) as WebhookMessage;
    } catch {
      log({ msg: 'refused', webhookId, reason: 'signature does not verify' });
      return answer(res, 401);
    }
    if (!handled.add(webhookId)) {
      log({ msg: 'duplicate', webhookId, type: message.type });
      return answer(res, 200);
    }
    answer(res, 204);
    // After the answer, so a slow step cannot make Evently time out and send it again.
    setImmediate(() => {
      processMessage(webhookId, message).catch((err: unknown) => {
        log({ msg: 'processing failed', webhookId, error: String(err) });
      });
    });
  });
});

server.listen(port, () => {
  log({ msg: 'listening', port: (server.address() as AddressInfo).port });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
