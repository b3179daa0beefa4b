/**
 * The message types an endpoint can subscribe to: exactly those the system emits, one builder
 * each in shared/webhooks/messages.ts (Standard Webhooks `type`).
 */
export const WEBHOOK_TYPES = [
  'booking.confirmed',
  'booking.rejected',
  'booking.cancelled',
  'event.updated',
  'event.cancelled',
  'hold.created',
  'hold.confirmed',
  'hold.expired',
  'hold.released',
  'booking.waitlisted',
  'waitlist.promoted',
  'waitlist.left',
] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

/**
 * The message `POST /webhook-endpoints/{id}/test` sends to that one endpoint. Not in
 * WEBHOOK_TYPES: no endpoint subscribes to it and the relay never fans it out.
 */
export const TEST_WEBHOOK_TYPE = 'webhook.test';

/**
 * Webhook deliveries go through one fleet-wide BullMQ queue (job id = delivery id). Its name is
 * a hash tag, so on Redis Cluster all its keys share one slot, as BullMQ's scripts require.
 */
export const WEBHOOK_QUEUE = '{webhooks}';

/**
 * A delivery job: either one delivery (job id = delivery id: retries, postponements, manual
 * retries, the stranded sweep), or the relay's batch of new deliveries to one endpoint, in outbox
 * order, whose first attempts it makes together (job id = `batch_job_id` of its deliveries).
 * A delivery of a batch that needs anything but a first attempt now continues in a job of its own.
 */
export type WebhookJobData = DeliveryJobData | BatchJobData;
export interface DeliveryJobData {
  deliveryId: string;
  /** Attempts made before this job (by a batch): the job's attempt numbers continue from there. */
  attemptsBefore?: number;
}
export interface BatchJobData {
  deliveryIds: string[];
}

export interface StoredSecret {
  secret: string;
  /** null for the current secret; set on the previous one during a rotation's overlap. */
  expiresAt: string | null;
}
