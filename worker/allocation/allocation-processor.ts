import { SpanKind } from '@opentelemetry/api';
import type { Job } from 'bullmq';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Logger } from '../../shared/logger.js';
import { recordDecisions } from '../../shared/metrics.js';
import { type AllocationJobData, type EventQueues, requestDecidedChannel } from '../../shared/queues.js';
import type { RedisClient } from '../../shared/redis.js';
import { ATTR, inSpan } from '../../shared/tracing/index.js';
import type { HoldExpiryTimers } from '../hold-expiry.js';
import type { AllocationRules } from './allocation-rules.js';
import type { AllocationStepResult } from './allocation-step.js';
import { StepBatcher } from './step-batcher.js';

export interface AllocationDeps {
  sequelize: Sequelize;
  redis: RedisClient;
  logger: Logger;
  redisPrefix: string;
  batchSize: number;
  rules: AllocationRules;
  /** When given, the waiting doorbells of requests a step decided are removed (see below). */
  queues?: EventQueues;
  /** When given, new holds get their expiry timer; without, the reconciler's sweep expires them. */
  holdTimers?: HoldExpiryTimers;
}

export interface AllocationJobResult {
  /** The booking request's outcome, or the job's name for a job without a request. */
  status: string;
  /** Steps this job ran that decided something. */
  batches: number;
}

/**
 * The processor of an event queue's jobs: it runs allocation steps. A job is a doorbell for one
 * booking request: "this request is waiting". The processor runs the event's steps, each
 * deciding queued requests in arrival order, until that request is decided. A job whose request
 * an earlier step already decided finishes at once, so redelivered or duplicated jobs are
 * harmless.
 */
export function createAllocationProcessor(deps: AllocationDeps) {
  // Outcomes this process decided recently. A step decides up to ALLOCATION_BATCH_SIZE
  // requests whose own jobs then find their answer here without a database read.
  const recent = new RecentOutcomes(50_000);
  // The steps this process's slots ask for at the same time share one transaction.
  const steps = new StepBatcher(deps.sequelize, deps.batchSize, deps.rules, deps.logger, (ids) =>
    deps.redis.publish(requestDecidedChannel(deps.redisPrefix), JSON.stringify(ids)),
  );

  async function step(job: Job<AllocationJobData>): Promise<AllocationStepResult> {
    const { eventId, requestId: bookingRequestId } = job.data;
    const result = await steps.step(eventId);
    for (const d of result.decided) recent.add(d.requestId, d.outcome);
    if (result.changedRequestIds.length > 0) {
      deps.logger.debug(
        { eventId, jobId: job.id, bookingRequestId, decided: result.decided.length },
        'allocation step decided',
      );
    }
    recordDecisions(result.decided);
    if (deps.holdTimers) await updateTimers(deps.holdTimers, deps.logger, eventId, result);
    if (deps.queues) await dropDoorbells(deps, eventId, result.decided, job.id);
    return result;
  }

  /**
   * A job that runs steps is an `allocation.job` span, the root of a trace of its own: a doorbell
   * stands for whichever requests are queued, not for one booking (each decision is in its
   * booking's trace, decision-spans.ts). A job whose request was decided already makes none.
   */
  const traced = (job: Job<AllocationJobData>, run: () => Promise<AllocationJobResult>) =>
    inSpan(
      'allocation.job',
      {
        kind: SpanKind.CONSUMER,
        root: true,
        attributes: {
          [ATTR.jobId]: job.id ?? '',
          [ATTR.queue]: job.queueName,
          [ATTR.eventId]: job.data.eventId,
          ...(job.data.requestId ? { [ATTR.bookingRequestId]: job.data.requestId } : {}),
        },
      },
      async (span) => {
        const result = await run();
        span.setAttribute(ATTR.bookingRequestStatus, result.status);
        return result;
      },
    );

  return async function allocationProcessor(job: Job<AllocationJobData>): Promise<AllocationJobResult> {
    const { requestId: bookingRequestId } = job.data;
    if (!bookingRequestId) {
      // An expiry or rebalance: one step does it (a later step would find nothing more to do).
      return traced(job, async () => {
        await step(job);
        return { status: job.name, batches: 1 };
      });
    }
    const known = recent.get(bookingRequestId);
    if (known) return { status: known, batches: 0 };
    return traced(job, () => untilDecided(job, bookingRequestId));
  };

  async function untilDecided(
    job: Job<AllocationJobData>,
    bookingRequestId: string,
  ): Promise<AllocationJobResult> {
    let batches = 0;
    let idleRounds = 0;
    for (;;) {
      // Straight to a step: the request is nearly always still queued, and a step that finds
      // nothing to do is followed by a status read below.
      const { decided } = await step(job);
      batches += decided.length > 0 ? 1 : 0;
      const outcome = recent.get(bookingRequestId);
      if (outcome) return { status: outcome, batches };
      if (decided.length > 0) continue;
      // Nothing decided: another process decided it (a redelivered or duplicate job), or it is
      // missing. Twice empty while still queued means it is stuck: retry with backoff.
      const status = await requestStatus(deps.sequelize, bookingRequestId);
      if (status === null) throw new Error(`booking request ${bookingRequestId} does not exist`);
      if (status !== 'queued') return { status, batches };
      if (++idleRounds > 1)
        throw new Error(`booking request ${bookingRequestId} is queued but no step picks it up`);
    }
  }
}

/**
 * Best effort: a hold whose timer is not added is expired by the reconciler's sweep, and a timer
 * not removed only runs a step with nothing to do.
 */
async function updateTimers(
  timers: HoldExpiryTimers,
  logger: Logger,
  eventId: string,
  { newHolds, settledHoldIds }: AllocationStepResult,
): Promise<void> {
  try {
    await timers.schedule(eventId, newHolds);
    if (settledHoldIds.length > 0) await timers.cancel(settledHoldIds);
  } catch (err) {
    logger.warn(
      { err, eventId, holds: newHolds.length },
      'hold expiry timers not updated; the sweep covers them',
    );
  }
}

/**
 * A step decides up to ALLOCATION_BATCH_SIZE requests, but each still has its doorbell job
 * waiting; BullMQ alone moves about 3,000 jobs a second through one queue, which would cap
 * throughput no matter how large the batches. So the decided requests' waiting jobs are
 * removed now. Best effort: a job that cannot be removed (already active elsewhere, or gone)
 * just runs as a no-op later.
 */
async function dropDoorbells(
  deps: AllocationDeps,
  eventId: string,
  decided: readonly { requestId: string }[],
  currentJobId: string | undefined,
): Promise<void> {
  const others = decided.filter((d) => d.requestId !== currentJobId);
  // Most steps of a quiet event decide only their own job's request: no queue handle needed.
  if (others.length === 0) return;
  const queue = deps.queues!.get(eventId);
  const results = await Promise.allSettled(others.map((d) => queue.remove(d.requestId)));
  const failed = results.filter((r) => r.status === 'rejected').length;
  if (failed > 0) deps.logger.debug({ eventId, failed }, 'some decided doorbells were not removed');
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

/** A bounded map of request id -> outcome; the oldest entries go first. */
class RecentOutcomes {
  private readonly outcomes = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  get(requestId: string): string | undefined {
    return this.outcomes.get(requestId);
  }

  add(requestId: string, outcome: string): void {
    this.outcomes.set(requestId, outcome);
    if (this.outcomes.size > this.capacity) {
      this.outcomes.delete(this.outcomes.keys().next().value!);
    }
  }
}
