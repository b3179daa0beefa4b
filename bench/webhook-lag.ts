import { generateSecret } from '../shared/webhooks/signing.js';
import { WebhookReceiver } from '../test/support/webhook-receiver.js';
import type { BenchDatabase } from './setup.js';
import { percentile, round } from './stats.js';

/** The outcome types a partner subscribes to in the flash bench. */
const OUTCOME_TYPES = ['booking.confirmed', 'booking.rejected'];

/**
 * `npm run bench -- --webhook-endpoint`: one subscribed endpoint, a local receiver started by the
 * bench, and how far behind the outcomes its messages arrive. Lag of a message = the receiver's
 * clock when it answered 2xx to the message's first accepted arrival, minus the outbox row's
 * `created_at` (the start of the transaction that decided the outcome and committed the row: so
 * the lag is counted from a little before the commit, never after it).
 */
export class WebhookLag {
  private readonly receiver = new WebhookReceiver();

  async start(): Promise<this> {
    await this.receiver.start();
    return this;
  }

  /** The service's environment: the receiver's host:port is the one private destination allowed. */
  env(): Record<string, string> {
    return { WEBHOOK_ALLOW_PRIVATE: new URL(this.receiver.baseUrl).host };
  }

  /**
   * Registers the endpoint for `userId` directly in the database (the bench runs in production
   * mode, whose API takes https URLs only). The owner is an admin, whose endpoints receive every
   * outcome: a partner that made all the purchases.
   */
  async subscribe(db: BenchDatabase, userId: string): Promise<void> {
    await db.pool.query(
      `INSERT INTO webhook_endpoints (user_id, url, description, event_types, secrets)
       VALUES ($1, $2, 'bench', $3, $4)`,
      [
        userId,
        `${this.receiver.baseUrl}/partner`,
        OUTCOME_TYPES,
        JSON.stringify([{ secret: generateSecret(), expiresAt: null }]),
      ],
    );
  }

  /** Waits (up to `timeoutMs`) for every outcome message to arrive, then the figures. */
  async measure(db: BenchDatabase, timeoutMs = 120_000) {
    const { rows } = await db.pool.query<{ message_id: string; created_at: Date }>(
      'SELECT message_id, created_at FROM webhook_outbox WHERE type = ANY ($1)',
      [OUTCOME_TYPES],
    );
    const accepted = () => {
      const first = new Map<string, number>();
      for (const a of this.receiver.at('/partner')) {
        if (a.answered !== undefined && a.answered < 300 && !first.has(a.webhookId))
          first.set(a.webhookId, a.receivedAt);
      }
      return first;
    };
    const deadline = Date.now() + timeoutMs;
    while (accepted().size < rows.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const arrived = accepted();
    const lags = rows
      .filter((r) => arrived.has(r.message_id))
      .map((r) => arrived.get(r.message_id)! - r.created_at.getTime())
      .sort((a, b) => a - b);
    const firstCommit = Math.min(...rows.map((r) => r.created_at.getTime()));
    const lastArrival = Math.max(...arrived.values());
    return {
      webhookMessages: rows.length,
      webhookMissing: rows.length - lags.length,
      webhookDeliveriesPerSec:
        lags.length === 0 ? null : round(lags.length / ((lastArrival - firstCommit) / 1000), 0),
      webhookLagP50Ms: lags.length === 0 ? null : round(percentile(lags, 50)),
      webhookLagP99Ms: lags.length === 0 ? null : round(percentile(lags, 99)),
      webhookLagMaxMs: lags.length === 0 ? null : round(lags[lags.length - 1]!),
      webhookTcpConnections: this.receiver.connections,
    };
  }

  async stop(): Promise<void> {
    await this.receiver.stop();
  }
}
