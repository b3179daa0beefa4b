import { Readable } from 'node:stream';
import type { Sequelize } from 'sequelize';
import { seatsText } from '../../shared/domain.js';
import { type Attendee, type AttendeeFilter, attendeeBatches } from './attendees.js';

/** Rows per database read of an export: one short query each (api/services/attendees.ts). */
export const CSV_BATCH_SIZE = 1000;

/** The columns of the attendee CSV, in order, with how each is written. */
const COLUMNS: readonly [string, (a: Attendee) => string][] = [
  ['bookingId', (a) => a.id],
  ['status', (a) => a.status],
  ['quantity', (a) => String(a.quantity)],
  ['seats', (a) => (a.seats ? seatsText(a.seats) : '')],
  ['externalReference', (a) => a.externalReference ?? ''],
  ['metadata', (a) => (Object.keys(a.metadata).length > 0 ? JSON.stringify(a.metadata) : '')],
  ['createdAt', (a) => a.createdAt.toISOString()],
  ['userId', (a) => a.user.id],
  ['email', (a) => a.user.email],
  ['name', (a) => a.user.name],
];

export const CSV_HEADER = COLUMNS.map(([name]) => name);

/**
 * A cell a spreadsheet would run as a formula (OWASP "CSV injection": `=`, `+`, `-`, `@`, tab,
 * CR) gets a leading `'`, which spreadsheets show as text; the column is text anyway (a name,
 * an email, a partner's reference or metadata). Then RFC 4180: a cell with a quote, comma or
 * line break is quoted, its quotes doubled.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

const csvLine = (cells: readonly string[]) => `${cells.map(csvCell).join(',')}\r\n`;

export const attendeeCsvLine = (a: Attendee) => csvLine(COLUMNS.map(([, cell]) => cell(a)));

/**
 * The attendee CSV as a stream: the header, then each batch of rows as one chunk. The first batch
 * is read before the stream is handed back, so a database that fails at once is the error
 * handler's answer (a 5xx in the JSON error shape), not a 200 cut short. Readable.from pulls the
 * next batch only when the response has drained the last one (backpressure), so memory holds
 * about one batch whatever the event's size, and a client that goes away stops the reads.
 */
export async function attendeeCsv(sequelize: Sequelize, filter: AttendeeFilter): Promise<Readable> {
  const batches = attendeeBatches(sequelize, filter, CSV_BATCH_SIZE);
  const first = await batches.next();
  async function* lines() {
    yield csvLine(CSV_HEADER);
    if (first.done) return;
    yield first.value.map(attendeeCsvLine).join('');
    for await (const batch of batches) yield batch.map(attendeeCsvLine).join('');
  }
  return Readable.from(lines(), { objectMode: false });
}

/** `Jazz Night 2030!` -> `jazz-night-2030`; empty when the name has no letters or digits. */
export function fileSlug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
}
