/**
 * `foreshadow api`: serve the HTTP API until Ctrl-C. `foreshadow api hash-token <token>` prints the
 * sha256 to put in API_TOKENS, so clear tokens never need to be stored.
 */
import { hashToken } from '../../api/auth.js';
import { startApi } from '../../api/start-api.js';
import type { CliCommand } from '../command.js';

export const command: CliCommand = {
  summary: 'serve the HTTP API (hash-token <token>: print a token hash for API_TOKENS)',
  async run(args) {
    if (args[0] === 'hash-token') {
      if (!args[1]) {
        console.error('usage: foreshadow api hash-token <token>');
        return 2;
      }
      console.log(hashToken(args[1]));
      return 0;
    }
    const api = await startApi();
    console.log(`[foreshadow] API listening on ${api.url}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await api.stop();
    return 0;
  },
};
