import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Logger } from '../shared/logger.js';
import { type AllocationJobData, requestDecidedChannel } from '../shared/queues.js';
import { decideNextBatch } from './decide-batch.js';

export interface AllocationDeps {
  sequelize: Sequelize;
  redis: Redis;
  logger: Logger;
  redisPrefix: string;
  batchSize: number;
}

export interface AllocationJobResult {
  status: string;
  batches: number;
}

/**
 * A job is a doorbell for one request: "this request is waiting". The processor decides queued
 * requests of the event in arrival order, in batches, until that request is decided. A job
 * whose request an earlier batch already decided finishes at once, so redelivered or
 * duplicated jobs are harmless.
 */
export function createAllocationProcessor(deps: AllocationDeps) {
  return async function processAllocationJob(job: Job<AllocationJobData>): Promise<AllocationJobResult> {
    const { eventId, requestId } = job.data;
    let batches = 0;
    let idleRounds = 0;
    for (;;) {
      const status = await requestStatus(deps.sequelize, requestId);
      if (status === null) throw new Error(`booking request ${requestId} does not exist`);
      if (status !== 'queued') return { status, batches };

      const decided = await decideNextBatch(deps.sequelize, eventId, deps.batchSize);
      if (decided.length === 0) {
        // Another processor (a redelivery of this job) decided it between our two reads;
        // the next status read shows that. Twice empty means it is stuck: retry with backoff.
        if (++idleRounds > 1)
          throw new Error(`booking request ${requestId} is queued but no batch picks it up`);
        continue;
      }
      batches += 1;
      deps.logger.debug({ eventId, jobId: job.id, decided: decided.length }, 'batch decided');
      await deps.redis.publish(
        requestDecidedChannel(deps.redisPrefix),
        JSON.stringify(decided.map((d) => d.requestId)),
      );
    }
  };
}

async function requestStatus(sequelize: Sequelize, requestId: string): Promise<string | null> {
  const [row] = await sequelize.query<{ status: string }>(
    'SELECT status FROM booking_requests WHERE id = $id',
    {
      bind: { id: requestId },
      type: QueryTypes.SELECT,
    },
  );
  return row?.status ?? null;
}
