/** pino JSON logs for runtime processes; one base logger, child loggers per task. */
import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
