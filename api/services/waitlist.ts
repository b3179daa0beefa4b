import Joi from 'joi';
import { Op, QueryTypes, type Sequelize } from 'sequelize';
import { Event, WaitlistEntry } from '../../shared/db/models/index.js';
import { appendToOutbox } from '../../shared/db/outbox.js';
import { Conflict, NotFound } from '../../shared/errors.js';
import { waitlistLeft } from '../../shared/webhooks/messages.js';
import { decodeCursor, encodeCursor } from '../pagination.js';
import { PURCHASE_INCLUDES, presentWaitlistEntry, purchaseReference } from '../presenters.js';

/** 1-based place of a waiting entry in its event's line, null once it left the line. */
export async function waitlistPosition(sequelize: Sequelize, entry: WaitlistEntry): Promise<number | null> {
  if (entry.status !== 'waiting') return null;
  const [row] = await sequelize.query<{ ahead: number }>(
    `SELECT count(*)::int AS ahead FROM waitlist_entries
      WHERE event_id = $eventId AND status = 'waiting' AND seq < $seq`,
    { bind: { eventId: entry.eventId, seq: entry.seq }, type: QueryTypes.SELECT },
  );
  return (row?.ahead ?? 0) + 1;
}

/**
 * Leaves the line, at once: no seats change hands, so this needs no allocation step. The row
 * lock orders it with the allocator: if a step is promoting this entry right now, the update
 * waits for it and then finds the entry promoted (409), never half of each.
 */
export async function leaveWaitlist(sequelize: Sequelize, entry: WaitlistEntry): Promise<WaitlistEntry> {
  return sequelize.transaction(async (transaction) => {
    const [left] = await sequelize.query<{ id: string }>(
      `UPDATE waitlist_entries SET status = 'left', ended_at = now()
        WHERE id = $id AND status = 'waiting' RETURNING id`,
      { bind: { id: entry.id }, transaction, type: QueryTypes.SELECT },
    );
    const current = (await WaitlistEntry.findByPk(entry.id, { transaction, include: PURCHASE_INCLUDES }))!;
    if (!left) {
      throw new Conflict('not_waiting', `This waitlist entry is ${current.status}, no longer waiting`, {
        status: current.status,
      });
    }
    await appendToOutbox(sequelize, transaction, [
      waitlistLeft(current.eventId, { ...current.get(), reference: purchaseReference(current) }, 'left'),
    ]);
    return current;
  });
}

/**
 * A page of an event's line, in order: the entries still waiting, each with its position
 * (counted over the whole line, so page 2 starts where page 1 ended). Keyset on `seq`, over
 * waitlist_line_idx. 404 for an event that does not exist.
 */
export async function waitlistLine(
  sequelize: Sequelize,
  eventId: string,
  query: { limit: number; cursor?: string },
) {
  if (!(await Event.findByPk(eventId, { attributes: ['id'] }))) throw new NotFound('Event');
  const after = query.cursor
    ? decodeCursor(query.cursor, { seq: Joi.string().pattern(/^\d{1,18}$/) }).seq
    : '0';
  const [{ ahead }] = (await sequelize.query<{ ahead: number }>(
    `SELECT count(*)::int AS ahead FROM waitlist_entries WHERE event_id = $id AND status = 'waiting' AND seq <= $after`,
    { bind: { id: eventId, after }, type: QueryTypes.SELECT },
  )) as [{ ahead: number }];
  const rows = await WaitlistEntry.findAll({
    where: { eventId, status: 'waiting', seq: { [Op.gt]: after } },
    order: [['seq', 'ASC']],
    limit: query.limit + 1,
    include: PURCHASE_INCLUDES,
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    data: page.map((e, i) => presentWaitlistEntry(e, ahead + i + 1)),
    next: rows.length > query.limit && last ? encodeCursor({ seq: String(last.seq) }) : null,
  };
}
