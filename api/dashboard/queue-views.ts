import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { Queue } from 'bullmq';
import type { AllocationJobData, HoldTimerData } from '../../shared/queues.js';
import { type EventNames, type EventTitle, eventLabel } from './event-names.js';

/**
 * How each queue looks on the dashboard: bull-board adapters with a display name a person
 * recognises, a description of what the queue is for, and formatters that say what each job
 * is about (its event by name) while the job itself keeps only ids. Formatters change what
 * the board shows, never the job.
 */

/** What an event queue's jobs are, by job name (shared/queues.ts, EventJobName). */
const EVENT_JOBS: Readonly<Record<string, string>> = {
  allocate:
    'Doorbell of a booking request: runs allocation steps, each deciding the event’s queued requests in ' +
    'arrival order, until this one is decided',
  'expire-hold': 'A hold’s timer fired: the next step expires it and offers its seats on',
  rebalance: 'Capacity or seats were added: the next step offers them to the waitlist',
};

const titled = (title: EventTitle | null | undefined, eventId: string) =>
  title ? eventLabel(title) : title === null ? `deleted event ${eventId}` : `event ${eventId}`;

/**
 * An event's queue: shown by the event's name and day, described with its queue name and how
 * many booking requests are queued (which the job counts do not say: one doorbell stands for
 * every request that arrived with it).
 */
export function eventQueueView(
  queue: Queue<AllocationJobData>,
  eventId: string,
  title: EventTitle | null | undefined,
  queuedRequests: number,
): BullMQAdapter {
  const label = titled(title, eventId);
  const adapter = new BullMQAdapter(queue, {
    displayName: label,
    description: `Event ${eventId}: ${queuedRequests} booking request${queuedRequests === 1 ? '' : 's'} queued`,
  });
  adapter.setFormatter('name', (job: { name?: string }) => `${job.name ?? 'job'}: ${label}`);
  adapter.setFormatter('data', (data: AllocationJobData) => ({
    what: EVENT_JOBS[jobNameOf(data)] ?? 'An allocation step',
    event: label,
    ...data,
  }));
  return adapter;
}

/** The doorbell carries a request id, a hold timer's ring a hold id, a rebalance neither. */
const jobNameOf = (data: AllocationJobData) =>
  data.requestId ? 'allocate' : data.holdId ? 'expire-hold' : 'rebalance';

/** The hold timers: one delayed job per active hold, each about some event. */
export function holdTimerView(queue: Queue<HoldTimerData>, names: EventNames): BullMQAdapter {
  const adapter = new BullMQAdapter(queue, {
    displayName: 'Hold timers',
    description:
      'One delayed job per active hold, due when the hold expires; it then rings the event’s queue ' +
      '(expire-hold). Removed when the hold is confirmed or released first.',
  });
  adapter.setFormatter('name', (job: { data?: Partial<HoldTimerData> }) => {
    const eventId = job.data?.eventId;
    return eventId ? `expire hold: ${titled(names.get(eventId), eventId)}` : 'expire hold';
  });
  adapter.setFormatter('data', (data: HoldTimerData) => ({
    what: 'Expires this hold at its expiresAt (the job’s delay)',
    event: data.eventId ? titled(names.get(data.eventId), data.eventId) : null,
    ...data,
  }));
  return adapter;
}
