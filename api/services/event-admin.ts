import { QueryTypes, type Sequelize } from 'sequelize';
import { Event } from '../../shared/db/models/index.js';
import { appendToOutbox } from '../../shared/db/outbox.js';
import type { EventStatus } from '../../shared/domain.js';
import { Conflict, NotFound, ValidationFailed } from '../../shared/errors.js';

export interface EventChanges {
  version: number;
  name?: string;
  description?: string;
  venue?: string;
  startsAt?: Date;
  endsAt?: Date | null;
  capacity?: number;
  status?: Exclude<EventStatus, 'cancelled'>;
}

/**
 * Updates an event under its row lock (the same lock the allocator takes), so a capacity change
 * and an allocation never interleave. Optimistic `version`: a stale edit is a 409, not a silent
 * overwrite.
 */
export async function updateEvent(sequelize: Sequelize, id: string, changes: EventChanges): Promise<Event> {
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
    await appendToOutbox(sequelize, transaction, [
      { type: 'event.updated', eventId: id, principalId: null, data: { event: event.toJSON() } },
    ]);
    return event;
  });
}

/**
 * Cancels an event and every confirmed booking of it in one transaction, with a webhook per
 * booking. Queued requests are rejected by the allocator (`event_cancelled`) in arrival order,
 * as every decision is. Cancelling twice answers the cancelled event again.
 */
export async function cancelEvent(sequelize: Sequelize, id: string): Promise<Event> {
  return sequelize.transaction(async (transaction) => {
    const event = await Event.findByPk(id, { transaction, lock: transaction.LOCK.UPDATE });
    if (!event) throw new NotFound('Event');
    if (event.status === 'cancelled') return event;
    const cancelled = await sequelize.query<{
      id: string;
      user_id: string;
      request_id: string;
      quantity: number;
    }>(
      `UPDATE bookings SET status = 'cancelled', cancelled_at = now()
        WHERE event_id = $id AND status = 'confirmed'
        RETURNING id, user_id, request_id, quantity`,
      { bind: { id }, transaction, type: QueryTypes.SELECT },
    );
    await event.update({ status: 'cancelled', booked: 0, version: event.version + 1 }, { transaction });
    await appendToOutbox(sequelize, transaction, [
      { type: 'event.cancelled', eventId: id, principalId: null, data: { event: event.toJSON() } },
      ...cancelled.map((b) => ({
        type: 'booking.cancelled' as const,
        eventId: id,
        principalId: b.user_id,
        data: {
          eventId: id,
          reason: 'event_cancelled',
          booking: { id: b.id, status: 'cancelled', quantity: b.quantity, requestId: b.request_id },
        },
      })),
    ]);
    return event;
  });
}
