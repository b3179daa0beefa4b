export type { PruneTarget } from './prune-batch.js';
export { PRUNE_TARGETS, pruneBatch } from './prune-batch.js';
export { Retention, type RetentionOptions, type RoundReport } from './retention.js';
