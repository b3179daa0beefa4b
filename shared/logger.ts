import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * Structured JSON logs, one line per event. `role` tells api, worker and supervisor lines apart
 * and `pid` the processes of one role: under `npm start` every process of the machine writes to
 * the one stdout it inherited from the supervisor.
 */
export function createLogger(level: string, role: string): Logger {
  return pino({ level, base: { role, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
