import { QueryTypes, type Sequelize } from 'sequelize';
import { Event } from '../../shared/db/models/index.js';
import { appendToOutbox } from '../../shared/db/outbox.js';
import {
  decodeReference,
  type EventStatus,
  type SeatLabel,
  type WaitlistPromotion,
} from '../../shared/domain.js';
import { ringEvent } from '../../shared/enqueue.js';
import { Conflict, NotFound, ValidationFailed } from '../../shared/errors.js';
import { rebalanceJobId } from '../../shared/queues.js';
import * as messages from '../../shared/webhooks/messages.js';
import type { ApiDeps } from '../context.js';
import { expandBlocks, insertSeats, type SeatBlock } from './seat-map.js';

export interface EventChanges {
  version: number;
  name?: string;
  description?: string;
  venue?: string;
  startsAt?: Date;
  endsAt?: Date | null;
  capacity?: number;
  status?: Exclude<EventStatus, 'cancelled'>;
  waitlistPromotion?: WaitlistPromotion;
  holdTtlSeconds?: number | null;
  maxTicketsPerUser?: number | null;
  limitPartners?: boolean;
  timeZone?: string | null;
}

type NewEvent = Omit<EventChanges, 'version' | 'capacity'> & {
  name: string;
  venue: string;
  startsAt: Date;
  endsAt: Date | null;
};

/** Creates a reserved-seating event and its seat map in one transaction; capacity is the seat count. */
export async function createSeatedEvent(
  deps: ApiDeps,
  fields: NewEvent,
  blocks: SeatBlock[],
): Promise<Event> {
  const seats = expandBlocks(blocks, deps.config.maxSeatsPerEvent);
  return deps.sequelize.transaction(async (transaction) => {
    const event = await Event.create(
      { ...fields, capacity: seats.length, seating: 'reserved' },
      { transaction },
    );
    await insertSeats(deps.sequelize, transaction, event.id, seats);
    return event;
  });
}

/**
 * Adds seats to a reserved-seating event's map, under the event's row lock (the allocator's
 * lock): capacity grows by the seats added, then the waitlist is offered them.
 */
export async function addSeats(
  deps: ApiDeps,
  id: string,
  blocks: SeatBlock[],
): Promise<{ event: Event; added: number }> {
  const { sequelize, config } = deps;
  const result = await sequelize.transaction(async (transaction) => {
    const event = await Event.findByPk(id, { transaction, lock: transaction.LOCK.UPDATE });
    if (!event) throw new NotFound('Event');
    if (event.seating !== 'reserved') {
      throw new Conflict('general_admission', 'This event has no seat map: its capacity is a number');
    }
    if (event.status === 'cancelled')
      throw new Conflict('event_cancelled', 'A cancelled event cannot be changed');
    const seats = expandBlocks(blocks, config.maxSeatsPerEvent - event.capacity);
    const added = await insertSeats(sequelize, transaction, id, seats);
    await event.update({ capacity: event.capacity + added, version: event.version + 1 }, { transaction });
    await appendToOutbox(sequelize, transaction, [messages.eventUpdated(event)]);
    return { event, added };
  });
  await offerNewSeats(deps, result.event);
  return result;
}

/**
 * Seats appeared (capacity grew, seats added): one allocation step offers them to the waitlist.
 * If the ring fails the next request, cancellation or expiry of the event does it.
 */
export async function offerNewSeats(deps: ApiDeps, event: Event): Promise<void> {
  const { queues, redis, config, logger } = deps;
  try {
    await ringEvent(queues, redis, config.redisPrefix, 'rebalance', rebalanceJobId(event.id, event.version), {
      eventId: event.id,
    });
  } catch (err) {
    logger.error({ err, eventId: event.id }, 'could not ring the event after its capacity grew');
  }
}

/**
 * Updates an event under its row lock (the same lock the allocator takes), so a capacity change
 * and an allocation never interleave. Optimistic `version`: a stale edit is a 409, not a silent
 * overwrite.
 */
export async function updateEvent(
  sequelize: Sequelize,
  id: string,
  changes: EventChanges,
): Promise<{ event: Event; seatsAdded: boolean }> {
  return sequelize.transaction(async (transaction) => {
    const event = await Event.findByPk(id, { transaction, lock: transaction.LOCK.UPDATE });
    if (!event) throw new NotFound('Event');
    if (event.version !== changes.version) {
      throw new Conflict('version_conflict', 'The event was changed by someone else; reload and retry', {
        currentVersion: event.version,
      });
    }
    if (event.status === 'cancelled')
      throw new Conflict('event_cancelled', 'A cancelled event cannot be changed');
    const { version, ...fields } = changes;
    if (event.seating === 'reserved' && fields.capacity !== undefined && fields.capacity !== event.capacity) {
      throw new Conflict(
        'capacity_follows_seat_map',
        'A reserved-seating event gets capacity by adding seats',
        {
          capacity: event.capacity,
        },
      );
    }
    const capacityBefore = event.capacity;
    const capacity = fields.capacity ?? event.capacity;
    if (capacity < event.booked + event.held) {
      throw new Conflict(
        'capacity_below_booked',
        'Capacity cannot drop below the seats already booked or held',
        {
          booked: event.booked,
          held: event.held,
        },
      );
    }
    const startsAt = fields.startsAt ?? event.startsAt;
    const endsAt = fields.endsAt === undefined ? event.endsAt : fields.endsAt;
    if (endsAt && endsAt <= startsAt) {
      throw new ValidationFailed('endsAt must be after startsAt', [
        { in: 'body', path: 'endsAt', message: 'must be after startsAt' },
      ]);
    }
    const given = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    await event.update({ ...given, version: version + 1 }, { transaction });
    await appendToOutbox(sequelize, transaction, [messages.eventUpdated(event)]);
    return { event, seatsAdded: event.capacity > capacityBefore };
  });
}

/**
 * Cancels an event with everything it holds, in one transaction under the event's row lock:
 * every confirmed booking, every active hold (their seats are released), every waiting waitlist
 * entry, each with its webhook. Queued requests are rejected by the allocator (`event_cancelled`)
 * in arrival order, as every decision is. Cancelling twice answers the cancelled event again.
 */
export async function cancelEvent(sequelize: Sequelize, id: string): Promise<Event> {
  return sequelize.transaction(async (transaction) => {
    const event = await Event.findByPk(id, { transaction, lock: transaction.LOCK.UPDATE });
    if (!event) throw new NotFound('Event');
    if (event.status === 'cancelled') return event;
    const select = <T extends object>(sql: string) =>
      sequelize.query<T>(sql, { bind: { id }, transaction, type: QueryTypes.SELECT });
    // Each with its purchase's reference, read from its first request (the one place it lives).
    const bookings = await select<SeatedRow>(
      `UPDATE bookings b SET status = 'cancelled', cancelled_at = now() FROM booking_requests p
        WHERE b.event_id = $id AND b.status = 'confirmed' AND p.id = b.request_id
        RETURNING b.id, b.user_id, b.request_id, b.quantity, b.seats, p.external_reference, p.metadata`,
    );
    const holds = await select<SeatedRow & { expires_at: Date }>(
      `UPDATE holds h SET status = 'released', ended_at = now() FROM booking_requests p
        WHERE h.event_id = $id AND h.status = 'active' AND p.id = h.request_id
        RETURNING h.id, h.user_id, h.request_id, h.quantity, h.seats, h.expires_at, p.external_reference, p.metadata`,
    );
    const entries = await select<EndedRow & { section: string | null }>(
      `UPDATE waitlist_entries w SET status = 'cancelled', ended_at = now() FROM booking_requests p
        WHERE w.event_id = $id AND w.status = 'waiting' AND p.id = w.request_id
        RETURNING w.id, w.user_id, w.request_id, w.quantity, w.section, p.external_reference, p.metadata`,
    );
    await sequelize.query(
      'UPDATE seat_assignments SET released_at = now() WHERE event_id = $id AND released_at IS NULL',
      { bind: { id }, transaction },
    );
    await event.update(
      { status: 'cancelled', booked: 0, held: 0, version: event.version + 1 },
      { transaction },
    );
    // The messages a booking request's cancel or release writes, with no request: the event did it.
    await appendToOutbox(sequelize, transaction, [
      messages.eventCancelled(event),
      ...bookings.map((b) => messages.bookingCancelled(id, seated(b), null)),
      ...holds.map((h) =>
        messages.holdReleased(id, { ...seated(h), expiresAt: new Date(h.expires_at) }, null),
      ),
      ...entries.map((e) =>
        messages.waitlistLeft(id, { ...owned(e), section: e.section }, 'event_cancelled'),
      ),
    ]);
    return event;
  });
}

/** A booking, hold or waitlist entry the event's cancellation ended. */
interface EndedRow {
  id: string;
  user_id: string;
  request_id: string;
  quantity: number;
  external_reference: string | null;
  metadata: unknown;
}
type SeatedRow = EndedRow & { seats: SeatLabel[] | null };

const owned = (row: EndedRow) => ({
  id: row.id,
  userId: row.user_id,
  requestId: row.request_id,
  reference: decodeReference(row.external_reference, row.metadata),
  quantity: row.quantity,
});
const seated = (row: SeatedRow) => ({ ...owned(row), seats: row.seats ?? [] });
