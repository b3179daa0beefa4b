import Joi from 'joi';

/**
 * Joi building blocks shared by the routers, so one kind of field is validated one way
 * everywhere.
 */

/**
 * Canonical UUIDs only (hyphenated, no braces), lower-cased: the id is also part of queue
 * names, so `ABC...` and `abc...` must not become two queues for one event.
 */
export const uuid = Joi.string()
  .lowercase()
  .pattern(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  .messages({ 'string.pattern.base': '{{#label}} must be a UUID' })
  .meta({ format: 'uuid' });

export const uuidParam = Joi.object({ id: uuid.required() });

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * An ISO 8601 date or date-time that names a real instant. JavaScript would quietly roll
 * 2031-02-31 over to March 3rd; this refuses it instead. Values stay strings.
 */
export const isoDateString = Joi.string()
  .max(40)
  .custom((value: string, helpers) => {
    const match = ISO_DATE_TIME.exec(value);
    if (!match) return helpers.error('date.format', { format: 'ISO 8601' });
    const [, y, m, d, hh = '0', mm = '0', ss = '0'] = match;
    const day = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
    const realDay =
      day.getUTCFullYear() === Number(y) &&
      day.getUTCMonth() === Number(m) - 1 &&
      day.getUTCDate() === Number(d);
    if (
      !realDay ||
      Number(hh) > 23 ||
      Number(mm) > 59 ||
      Number(ss) > 59 ||
      Number.isNaN(Date.parse(value))
    ) {
      return helpers.error('date.base');
    }
    return value;
  })
  .messages({
    'date.base': '{{#label}} is not a real date',
    'date.format': '{{#label}} must be an ISO 8601 date',
  })
  .description('ISO 8601 date or date-time (`2030-05-01T19:00:00Z`)')
  .example('2030-05-01T19:00:00Z');

/** One line of human text: not blank, no control characters (NUL and friends are refused, not mangled). */
export const singleLine = (max: number) =>
  Joi.string()
    .min(1)
    .max(max)
    .pattern(/\S/, 'not blank')
    .pattern(/^\P{Cc}*$/u, 'no control characters');

/** Free text that may span lines and use tabs, but carries no other control characters. */
export const multiLine = (max: number) =>
  Joi.string()
    .max(max)
    .allow('')
    .pattern(/^(?:\P{Cc}|[\t\n\r])*$/u, 'no control characters');

/** LIKE treats % and _ as wildcards; a search for "100%" means the text "100%". */
export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * An IANA time zone name the runtime knows (`Europe/Berlin`, `America/Argentina/Buenos_Aires`,
 * `UTC`), stored in its canonical spelling (`europe/berlin` and `Europe/Berlin` are one zone).
 * The pattern is what the OpenAPI document can say; the zone database decides the rest.
 */
export const timeZone = Joi.string()
  .max(64)
  .pattern(/^[A-Za-z][A-Za-z0-9_+/-]*$/)
  .custom((value: string, helpers) => {
    try {
      return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
    } catch {
      // RangeError: not a zone this runtime's time zone database has.
      return helpers.error('any.invalid');
    }
  })
  .messages({
    'string.pattern.base': '{{#label}} must be an IANA time zone name, e.g. Europe/Berlin',
    'any.invalid': '{{#label}} is not a known IANA time zone, e.g. Europe/Berlin',
  })
  .example('Europe/Berlin');
