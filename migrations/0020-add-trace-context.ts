import type { MigrationContext } from '../shared/db/migrator.js';

/**
 * `trace_context`: the W3C `traceparent` a row carries across processes when tracing is on
 * (docs/architecture.md, Tracing), null when it was off.
 * - `booking_requests.trace_context`: the intake span that recorded the request; the allocation
 *   step parents the request's decision to it, however long the request waited and whichever
 *   worker decides it.
 * - `webhook_outbox.trace_context`: the span that wrote the message (the decision it reports, or
 *   the API request that changed the event); its webhook deliveries and its email are parented
 *   to it.
 * In the row, not in job data: a doorbell job stands for many requests, is added once whoever
 * rings again, and is rebuilt from rows after Redis is lost. Nullable without a default: adding
 * the columns rewrites nothing. The value is always one of the service's own spans (version 00,
 * 55 characters), never a client's header as sent; the bound leaves room for later versions.
 */
export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    ALTER TABLE booking_requests ADD COLUMN trace_context text CHECK (char_length(trace_context) <= 256);
    ALTER TABLE webhook_outbox ADD COLUMN trace_context text CHECK (char_length(trace_context) <= 256);
  `);
}
