import { randomUUID } from 'node:crypto';
import type { Sequelize, Transaction } from 'sequelize';
import type { WebhookType } from '../domain.js';

export interface OutboxMessage {
  type: WebhookType;
  eventId: string | null;
  principalId: string | null;
  data: Record<string, unknown>;
  /** Messages with the same key reach an endpoint in order (default: the booking, request or event). */
  orderingKey?: string;
}

/**
 * Appends webhook messages in the caller's transaction (the transactional outbox): they exist
 * if and only if the state change they describe committed. `message_id` becomes the stable
 * `webhook-id` header across delivery retries.
 */
export async function appendToOutbox(
  sequelize: Sequelize,
  transaction: Transaction,
  messages: readonly OutboxMessage[],
): Promise<void> {
  if (messages.length === 0) return;
  const now = new Date().toISOString();
  await sequelize.query(
    `INSERT INTO webhook_outbox (message_id, type, event_id, principal_id, payload, ordering_key)
     SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::uuid[], $5::jsonb[], $6::text[])`,
    {
      bind: [
        messages.map(() => `msg_${randomUUID()}`),
        messages.map((m) => m.type),
        messages.map((m) => m.eventId),
        messages.map((m) => m.principalId),
        messages.map((m) => JSON.stringify({ type: m.type, timestamp: now, data: m.data })),
        messages.map((m) => m.orderingKey ?? null),
      ],
      transaction,
    },
  );
}
