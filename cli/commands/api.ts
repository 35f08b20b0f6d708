/**
 * `foreshadow api`: serve the HTTP API until Ctrl-C. `foreshadow api hash-token <token>` prints the
 * sha256 to put in API_TOKENS, so clear tokens never need to be stored.
 */
import { hashToken } from '../../api/auth.js';
import { startApi } from '../../api/start-api.js';
import { parseFlags } from '../args.js';
import type { CliCommand } from '../command.js';

const FLAGS = {
  command: 'api',
  usage: 'usage: foreshadow api | foreshadow api hash-token <token>',
  options: {},
  positionals: true,
} as const;

export const command: CliCommand = {
  summary: 'serve the HTTP API (hash-token <token>: print a token hash for API_TOKENS)',
  async run(args) {
    const { positionals } = parseFlags(args, FLAGS);
    const [sub, token, extra] = positionals;
    if (sub === 'hash-token') {
      if (!token || extra !== undefined) {
        console.error('usage: foreshadow api hash-token <token>');
        return 2;
      }
      console.log(hashToken(token));
      return 0;
    }
    if (sub !== undefined) {
      console.error(FLAGS.usage);
      return 2;
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
