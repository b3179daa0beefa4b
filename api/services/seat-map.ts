import Joi from 'joi';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { Conflict, Unprocessable } from '../../shared/errors.js';
import { singleLine } from '../schemas.js';

/**
 * A seat map is written as blocks: "section A, rows 1-20, seats 1-30" is one block of 600 seats.
 * Rows are a number range, a letter range or a list of labels; the order rows and sections first
 * appear in is their quality order (best first), which "best available" follows.
 */
export interface SeatBlock {
  section: string;
  rows: { from: number | string; to: number | string } | string[];
  seats: { from: number; to: number };
}

const LETTER = Joi.string()
  .pattern(/^[A-Z]$/)
  .messages({ 'string.pattern.base': '{{#label}} must be a letter A-Z' });
const ROW_NUMBER = Joi.number().integer().min(1).max(9999);

export const seatBlocks = Joi.array()
  .items(
    Joi.object({
      section: singleLine(50).required(),
      rows: Joi.alternatives()
        .try(
          Joi.object({ from: ROW_NUMBER.required(), to: ROW_NUMBER.min(Joi.ref('from')).required() }),
          Joi.object({ from: LETTER.required(), to: LETTER.required() }),
          Joi.array().items(singleLine(20).required()).min(1).max(500).unique(),
        )
        .required()
        .messages({
          'alternatives.match':
            '{{#label}} must be a range of numbers or letters (from, to) or a list of labels',
        }),
      seats: Joi.object({
        from: Joi.number().integer().min(1).max(9999).required(),
        to: Joi.number().integer().min(Joi.ref('from')).max(9999).required(),
      }).required(),
    }),
  )
  .min(1)
  .max(500);

interface SeatRow {
  section: string;
  row: string;
  number: number;
}

function rowLabels(rows: SeatBlock['rows']): string[] {
  if (Array.isArray(rows)) return rows;
  if (typeof rows.from === 'number' && typeof rows.to === 'number') {
    return Array.from({ length: rows.to - rows.from + 1 }, (_, i) => String((rows.from as number) + i));
  }
  const from = String(rows.from).charCodeAt(0);
  const to = String(rows.to).charCodeAt(0);
  if (to < from) {
    throw new Unprocessable('invalid_seat_map', 'A row range must not run backwards', { rows });
  }
  return Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i));
}

/** Expands blocks into seats, refusing a seat named twice and a map larger than `maxSeats`. */
export function expandBlocks(blocks: readonly SeatBlock[], maxSeats: number): SeatRow[] {
  const total = blocks.reduce((n, b) => n + rowLabels(b.rows).length * (b.seats.to - b.seats.from + 1), 0);
  if (total > maxSeats) {
    throw new Unprocessable('seat_map_too_large', `A seat map holds at most ${maxSeats} seats`, {
      requested: total,
      max: maxSeats,
    });
  }
  const seen = new Set<string>();
  const seats: SeatRow[] = [];
  for (const block of blocks) {
    for (const row of rowLabels(block.rows)) {
      for (let number = block.seats.from; number <= block.seats.to; number++) {
        const key = `${block.section}\u0000${row}\u0000${number}`;
        if (seen.has(key)) {
          throw new Unprocessable(
            'duplicate_seat',
            `Seat ${block.section} ${row}-${number} is listed twice`,
            {
              section: block.section,
              row,
              number,
            },
          );
        }
        seen.add(key);
        seats.push({ section: block.section, row, number });
      }
    }
  }
  return seats;
}

/**
 * Adds seats to an event's map in the caller's transaction (the event row is already locked).
 * Existing sections and rows keep their rank; new ones rank after them. Returns how many seats
 * were added; a seat that already exists is a 409 and nothing is added.
 */
export async function insertSeats(
  sequelize: Sequelize,
  transaction: Transaction,
  eventId: string,
  seats: readonly SeatRow[],
): Promise<number> {
  const existing = await sequelize.query<{
    section: string;
    row_label: string;
    section_rank: number;
    row_rank: number;
    max_ordinal: number;
  }>(
    `SELECT section, row_label, min(section_rank) AS section_rank, min(row_rank) AS row_rank,
            max(ordinal) AS max_ordinal
       FROM seats WHERE event_id = $eventId GROUP BY section, row_label`,
    { bind: { eventId }, transaction, type: QueryTypes.SELECT },
  );
  const sectionRank = new Map<string, number>();
  const rowRank = new Map<string, number>();
  const rowsInSection = new Map<string, number>();
  let ordinal = 0;
  for (const r of existing) {
    sectionRank.set(r.section, r.section_rank);
    rowRank.set(`${r.section}\u0000${r.row_label}`, r.row_rank);
    rowsInSection.set(r.section, Math.max(rowsInSection.get(r.section) ?? 0, r.row_rank + 1));
    ordinal = Math.max(ordinal, r.max_ordinal + 1);
  }
  const ranked = seats.map((seat) => {
    if (!sectionRank.has(seat.section)) sectionRank.set(seat.section, sectionRank.size);
    const rowKey = `${seat.section}\u0000${seat.row}`;
    if (!rowRank.has(rowKey)) {
      const next = rowsInSection.get(seat.section) ?? 0;
      rowRank.set(rowKey, next);
      rowsInSection.set(seat.section, next + 1);
    }
    return {
      ...seat,
      sectionRank: sectionRank.get(seat.section)!,
      rowRank: rowRank.get(rowKey)!,
      ordinal: ordinal++,
    };
  });
  const [inserted] = await sequelize.query<{ n: number }>(
    `WITH added AS (
       INSERT INTO seats (event_id, section, row_label, number, section_rank, row_rank, ordinal)
       SELECT $eventId, * FROM unnest($sections::text[], $rows::text[], $numbers::int[], $sectionRanks::int[],
                                      $rowRanks::int[], $ordinals::int[])
       ON CONFLICT (event_id, section, row_label, number) DO NOTHING
       RETURNING 1)
     SELECT count(*)::int AS n FROM added`,
    {
      bind: {
        eventId,
        sections: ranked.map((s) => s.section),
        rows: ranked.map((s) => s.row),
        numbers: ranked.map((s) => s.number),
        sectionRanks: ranked.map((s) => s.sectionRank),
        rowRanks: ranked.map((s) => s.rowRank),
        ordinals: ranked.map((s) => s.ordinal),
      },
      transaction,
      type: QueryTypes.SELECT,
    },
  );
  const count = inserted?.n ?? 0;
  if (count !== seats.length) {
    // Rolled back by the caller's transaction: all or nothing.
    throw new Conflict('seat_exists', 'Some of these seats are already in the map', {
      existing: seats.length - count,
    });
  }
  return count;
}
