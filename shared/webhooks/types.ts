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
 * Webhook deliveries go through one fleet-wide BullMQ queue (job id = delivery id). Its name is
 * a hash tag, so on Redis Cluster all its keys share one slot, as BullMQ's scripts require.
 */
export const WEBHOOK_QUEUE = '{webhooks}';

export interface WebhookJobData {
  deliveryId: string;
}

export interface StoredSecret {
  secret: string;
  /** null for the current secret; set on the previous one during a rotation's overlap. */
  expiresAt: string | null;
}
