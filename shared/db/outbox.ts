import { randomUUID } from 'node:crypto';
import type { Sequelize, Transaction } from 'sequelize';
import { traceparentOf } from '../tracing/index.js';
import type { WebhookType } from '../webhooks/types.js';

/**
 * Who may receive a message besides admins' endpoints (which receive everything): `owner` is
 * the endpoints of `userId`, `public` every subscriber. Chosen by the writer, in the
 * transaction that knows the state; a message without a principal defaults to `admins`, so a
 * forgotten audience fails closed.
 */
export type Audience = 'owner' | 'public' | 'admins';

/** A message to append, built by shared/webhooks/messages.ts (one builder per type). */
export interface NewOutboxMessage {
  type: WebhookType;
  eventId: string | null;
  /** The person the message is about; their endpoints receive it. */
  userId: string | null;
  /** For a message about no one person: `public` or (the default) `admins`. */
  audience?: Exclude<Audience, 'owner'>;
  data: Record<string, unknown>;
  /** Messages with the same key reach an endpoint in order (default: the booking, request or event). */
  orderingKey?: string;
  /**
   * The traceparent its webhook deliveries and email are parented to: the allocation step gives
   * each decision's; by default the span active where it is written (the API request that changed
   * the event, the allocation step). None with tracing off.
   */
  traceContext?: string;
}

const audienceOf = (m: NewOutboxMessage): Audience => (m.userId ? 'owner' : (m.audience ?? 'admins'));

/**
 * Appends webhook messages in the caller's transaction (the transactional outbox): they exist
 * if and only if the state change they describe committed. `message_id` becomes the stable
 * `webhook-id` header across delivery retries.
 */
export async function appendToOutbox(
  sequelize: Sequelize,
  transaction: Transaction,
  messages: readonly NewOutboxMessage[],
): Promise<void> {
  if (messages.length === 0) return;
  const now = new Date().toISOString();
  const active = traceparentOf();
  await sequelize.query(
    `INSERT INTO webhook_outbox (message_id, type, event_id, user_id, payload, ordering_key, audience, trace_context)
     SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::uuid[], $5::jsonb[], $6::text[], $7::text[],
                          $8::text[])`,
    {
      bind: [
        messages.map(() => `msg_${randomUUID()}`),
        messages.map((m) => m.type),
        messages.map((m) => m.eventId),
        messages.map((m) => m.userId),
        messages.map((m) => JSON.stringify({ type: m.type, timestamp: now, data: m.data })),
        messages.map((m) => m.orderingKey ?? null),
        messages.map(audienceOf),
        messages.map((m) => m.traceContext ?? active),
      ],
      transaction,
    },
  );
}
