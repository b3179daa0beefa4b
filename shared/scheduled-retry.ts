/**
 * Jobs retried on a schedule of their own (webhook deliveries, attendee emails): the job id is
 * the row's id, one attempt more than the schedule has steps, and the delay before each retry is
 * what the processor computed (schedule, jitter, `Retry-After`), carried on the error it throws
 * (worker/scheduled-worker.ts). Finished jobs are kept a while for the queue dashboard.
 */
export const SCHEDULED_BACKOFF = 'scheduled';

export function scheduledJobOptions(retryScheduleMs: readonly number[], jobId: string) {
  return {
    jobId,
    attempts: retryScheduleMs.length + 1,
    backoff: { type: SCHEDULED_BACKOFF },
    removeOnComplete: { age: 3600, count: 10000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
