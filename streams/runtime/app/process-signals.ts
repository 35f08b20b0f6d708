/**
 * For an app that owns its process (`handleSignals`): SIGTERM or SIGINT commits, closes and exits 0
 * (1 if the close fails), so a supervisor's stop never loses committed-but-unflushed work.
 */
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';

export function closeOnSignals(close: () => Promise<void>, logger: Logger): void {
  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ error: describeError(err) }, 'close failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
