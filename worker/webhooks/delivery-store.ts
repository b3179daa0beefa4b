import { QueryTypes, type Sequelize } from 'sequelize';
import type { WebhookConfig } from '../../shared/config.js';
import { entitledSql } from '../../shared/webhooks/entitlement.js';
import type { StoredSecret } from '../../shared/webhooks/types.js';

/**
 * Everything one delivery attempt needs, with the owner's entitlement to the message as it
 * stands now (checked on every attempt, retries and replays included).
 */
export interface AttemptContext {
  deliveryId: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  endpointId: string;
  endpointUsable: boolean;
  /** The endpoint's owner may receive this message now (entitledSql): else it is never sent. */
  entitled: boolean;
  url: string;
  secrets: StoredSecret[];
  circuitOpenUntil: Date | null;
  orderingKey: string;
  messageId: string;
  /** The outbox message's type (`booking.confirmed`...). */
  messageType: string;
  payload: unknown;
  /** The outbox message's stored trace context: each attempt's span is parented to it. */
  traceContext: string | null;
  /**
   * An earlier message about the same subject to this endpoint is still pending, other than
   * those loaded in the same call (a batch orders those itself): wait for it.
   */
  earlierPending: boolean;
  /** When that earlier one is next due (null if unknown). */
  earlierDue: Date | null;
}

/** The attempt contexts of these deliveries, in outbox order, in one query. */
export async function loadAttempts(
  sequelize: Sequelize,
  deliveryIds: readonly string[],
): Promise<AttemptContext[]> {
  return sequelize.query<AttemptContext>(
    `SELECT d.id AS "deliveryId", d.status, d.attempts, e.id AS "endpointId",
            (e.status = 'enabled' AND e.deleted_at IS NULL) AS "endpointUsable",
            ${entitledSql('e', 'o')} AS entitled,
            e.url, e.secrets, e.circuit_open_until AS "circuitOpenUntil", d.ordering_key AS "orderingKey",
            o.message_id AS "messageId", o.type AS "messageType", o.payload, o.trace_context AS "traceContext",
            earlier.n > 0 AS "earlierPending", earlier.due AS "earlierDue"
       FROM webhook_deliveries d
       JOIN webhook_endpoints e ON e.id = d.endpoint_id
       JOIN webhook_outbox o ON o.id = d.outbox_id
       CROSS JOIN LATERAL (
         SELECT count(*) AS n, max(p.next_attempt_at) AS due FROM webhook_deliveries p
          WHERE p.endpoint_id = d.endpoint_id AND p.ordering_key = d.ordering_key
            AND p.status = 'pending' AND p.outbox_id < d.outbox_id
            AND p.id <> ALL ($ids::uuid[])) earlier
      WHERE d.id = ANY ($ids::uuid[])
      ORDER BY d.outbox_id`,
    { bind: { ids: deliveryIds }, type: QueryTypes.SELECT },
  );
}

export async function loadAttempt(sequelize: Sequelize, deliveryId: string): Promise<AttemptContext | null> {
  const [row] = await loadAttempts(sequelize, [deliveryId]);
  return row ?? null;
}

interface Outcome {
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
}

/** Records an attempt's outcome on the delivery. */
export async function recordAttempt(
  sequelize: Sequelize,
  deliveryId: string,
  outcome: Outcome,
): Promise<void> {
  await sequelize.query(
    `UPDATE webhook_deliveries
        SET status = $status, attempts = $attempts, last_status = $lastStatus, last_error = $lastError,
            next_attempt_at = $nextAttemptAt,
            delivered_at = CASE WHEN $status = 'delivered' THEN now() ELSE delivered_at END,
            updated_at = now()
      WHERE id = $deliveryId`,
    { bind: { deliveryId, ...outcome } },
  );
}

/** A 2xx: what recordDelivered writes. */
export interface Delivered {
  deliveryId: string;
  endpointId: string;
  attempts: number;
  lastStatus: number;
  deliveredAt: Date;
}

/**
 * Successes: the deliveries are delivered and their endpoints' failure counts and circuits are
 * cleared, in one statement for any number of them. Cleared in SQL rather than from the row read
 * before the attempt: concurrent deliveries may have counted failures since, and a success
 * closes the circuit.
 */
export async function recordDelivered(sequelize: Sequelize, delivered: readonly Delivered[]): Promise<void> {
  if (delivered.length === 0) return;
  await sequelize.query(
    `WITH delivered AS (
       UPDATE webhook_deliveries d
          SET status = 'delivered', attempts = t.attempts, last_status = t.last_status, last_error = NULL,
              next_attempt_at = NULL, delivered_at = t.delivered_at, updated_at = now()
         FROM unnest($ids::uuid[], $attempts::int[], $statuses::int[], $at::timestamptz[])
              AS t(id, attempts, last_status, delivered_at)
        WHERE d.id = t.id)
     UPDATE webhook_endpoints SET consecutive_failures = 0, circuit_open_until = NULL, updated_at = now()
      WHERE id = ANY ($endpointIds::uuid[]) AND (consecutive_failures > 0 OR circuit_open_until IS NOT NULL)`,
    {
      bind: {
        ids: delivered.map((d) => d.deliveryId),
        attempts: delivered.map((d) => d.attempts),
        statuses: delivered.map((d) => d.lastStatus),
        at: delivered.map((d) => d.deliveredAt.toISOString()),
        endpointIds: [...new Set(delivered.map((d) => d.endpointId))],
      },
    },
  );
}

export async function postponeDelivery(sequelize: Sequelize, deliveryId: string, until: Date): Promise<void> {
  await sequelize.query(
    'UPDATE webhook_deliveries SET next_attempt_at = $until, updated_at = now() WHERE id = $deliveryId',
    {
      bind: { deliveryId, until },
    },
  );
}

export async function disableEndpoint(
  sequelize: Sequelize,
  endpointId: string,
  reason: string,
): Promise<void> {
  await sequelize.query(
    `UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $reason, updated_at = now() WHERE id = $endpointId`,
    { bind: { endpointId, reason } },
  );
}

/**
 * Claims the half-open probe of an endpoint whose cool-down has passed, by pushing its
 * circuit's end one cool-down further: the one caller whose UPDATE matched probes and gets
 * null; everyone else gets the new end to wait until. A success clears the circuit.
 */
export async function claimProbe(
  sequelize: Sequelize,
  endpointId: string,
  config: WebhookConfig,
): Promise<Date | null> {
  const [claimed] = await sequelize.query<{ id: string }>(
    `UPDATE webhook_endpoints SET circuit_open_until = now() + make_interval(secs => $cooldownSeconds)
      WHERE id = $endpointId AND circuit_open_until <= now()
      RETURNING id`,
    { bind: { endpointId, cooldownSeconds: config.circuitCooldownMs / 1000 }, type: QueryTypes.SELECT },
  );
  if (claimed) return null;
  const [row] = await sequelize.query<{ until: Date | null }>(
    'SELECT circuit_open_until AS until FROM webhook_endpoints WHERE id = $endpointId',
    { bind: { endpointId }, type: QueryTypes.SELECT },
  );
  // Closed meanwhile (a success cleared it): go ahead now.
  return row?.until && new Date(row.until) > new Date() ? new Date(row.until) : null;
}

/**
 * Counts a failure atomically (concurrent deliveries to one endpoint) and opens the circuit at
 * the threshold; after the cool-down the next attempt is the half-open probe.
 */
export async function countFailure(
  sequelize: Sequelize,
  endpointId: string,
  config: WebhookConfig,
): Promise<number> {
  const [row] = await sequelize.query<{ consecutive_failures: number }>(
    `UPDATE webhook_endpoints
        SET consecutive_failures = consecutive_failures + 1,
            circuit_open_until = CASE WHEN consecutive_failures + 1 >= $threshold
                                      THEN now() + make_interval(secs => $cooldownSeconds)
                                      ELSE circuit_open_until END,
            updated_at = now()
      WHERE id = $endpointId
      RETURNING consecutive_failures`,
    {
      bind: {
        endpointId,
        threshold: config.circuitThreshold,
        cooldownSeconds: config.circuitCooldownMs / 1000,
      },
      type: QueryTypes.SELECT,
    },
  );
  return row?.consecutive_failures ?? 0;
}
