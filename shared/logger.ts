import { type Logger, pino } from 'pino';

export type { Logger };

/** Structured JSON logs, one line per event; `role` tells api and worker lines apart. */
export function createLogger(level: string, role: string): Logger {
  return pino({ level, base: { role }, timestamp: pino.stdTimeFunctions.isoTime });
}
