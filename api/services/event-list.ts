import { literal, Op, type WhereOptions } from 'sequelize';
import { type ShownEventStatus, shownStatusSql } from '../../shared/booking-rules.js';
import { ValidationFailed } from '../../shared/errors.js';
import { likeEscape } from '../schemas.js';

export interface EventFilters {
  status: ShownEventStatus;
  from?: string;
  to?: string;
  q?: string;
  venue?: string;
}

/**
 * The filters of an event list (`GET /events`, and the admins' `GET /admin/events`), one rule for
 * both: the status each event shows (shared/booking-rules.ts), not the stored one, so a started
 * event is no longer listed as on sale; the start-time range; name and venue contain (literal).
 */
export function eventFilters(query: EventFilters): WhereOptions[] {
  const where: WhereOptions[] = [literal(shownStatusSql('', query.status))];
  if (query.from && query.to && new Date(query.to) < new Date(query.from)) {
    throw new ValidationFailed('Invalid query: to must not be before from', [
      { in: 'query', path: 'to', message: 'must not be before from' },
    ]);
  }
  if (query.from) where.push({ startsAt: { [Op.gte]: new Date(query.from) } });
  if (query.to) where.push({ startsAt: { [Op.lte]: new Date(query.to) } });
  if (query.q) where.push({ name: { [Op.iLike]: `%${likeEscape(query.q)}%` } });
  if (query.venue) where.push({ venue: { [Op.iLike]: `%${likeEscape(query.venue)}%` } });
  return where;
}
