/**
 * The service's own span attributes, named after the glossary (docs/architecture.md) under
 * `evently.`; the HTTP ones are OpenTelemetry's semantic conventions
 * (@opentelemetry/semantic-conventions), used where they are made.
 */
export const ATTR = {
  eventId: 'evently.event.id',
  bookingRequestId: 'evently.booking_request.id',
  bookingRequestKind: 'evently.booking_request.kind',
  /** The outcome's status (`confirmed`, `rejected`...), or `queued` at intake. */
  bookingRequestStatus: 'evently.booking_request.status',
  bookingRequestReason: 'evently.booking_request.reason',
  /** Intake: an Idempotency-Key replay, nothing recorded. */
  intakeReplayed: 'evently.intake.replayed',
  /** Intake: the error code of a refusal (4xx), which is an answer, not a failed span. */
  intakeRefusal: 'evently.intake.refusal',
  /** Allocation: a waitlisted request promoted, not a queued one decided. */
  promoted: 'evently.allocation.promoted',
  waitedSeconds: 'evently.allocation.waited_seconds',
  events: 'evently.allocation.events',
  decided: 'evently.allocation.decided',
  /** The BullMQ job and its queue (OpenTelemetry's messaging conventions). */
  jobId: 'messaging.message.id',
  queue: 'messaging.destination.name',
  deliveryId: 'evently.webhook.delivery.id',
  endpointId: 'evently.webhook.endpoint.id',
  /** The outbox message's id: the `webhook-id` header, the email's Message-ID. */
  messageId: 'evently.outbox.message_id',
  messageType: 'evently.outbox.type',
  attempt: 'evently.attempt',
  notificationId: 'evently.email.notification.id',
  emailKind: 'evently.email.kind',
  emailResult: 'evently.email.result',
} as const;
