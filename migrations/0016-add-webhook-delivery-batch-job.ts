import type { MigrationContext } from '../shared/db/migrator.js';

/**
 * `webhook_deliveries.batch_job_id`: the BullMQ job that carries the delivery's first attempt
 * together with other new deliveries to the same endpoint (the relay's batches), or null when
 * the delivery only ever had its own job (job id = delivery id). The stranded sweep asks BullMQ
 * about both, so a delivery waiting in a batch is not given a second job.
 */
export async function up({ context }: { context: MigrationContext }) {
  await context.sequelize.query(`
    ALTER TABLE webhook_deliveries ADD COLUMN batch_job_id text;
  `);
}
