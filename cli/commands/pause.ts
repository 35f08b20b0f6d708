/**
 * `foreshadow pause [--reason <text>] [--api-url <url>]`: pauses automation through the API
 * (POST /control/pause, operate role, audited). While paused no new automatic action is taken —
 * no new shadow, promotion, retirement by TTL or region failover; each such decision is recorded as
 * suppressed. The pause lives in the processors' stores, so it survives restarts; `foreshadow
 * resume` lifts it.
 */

import { apiClient } from '../api-client.js';
import { parseFlags } from '../args.js';
import type { CliCommand } from '../command.js';

const FLAGS = {
  command: 'pause',
  usage: 'usage: foreshadow pause [--reason <text>] [--api-url <url>]   (token: FORESHADOW_API_TOKEN)',
  options: { reason: { type: 'string' }, 'api-url': { type: 'string' } },
} as const;

export const command: CliCommand = {
  summary: 'pause automation (no new automatic action; decisions recorded as suppressed)',
  async run(args) {
    const { values } = parseFlags(args, FLAGS);
    const api = apiClient(values['api-url'] === undefined ? {} : { apiUrl: values['api-url'] });
    const res = (await api.post('/control/pause', values.reason === undefined ? {} : { reason: values.reason })) as {
      requestId: string;
    };
    console.log(`pause requested (request ${res.requestId}); \`foreshadow control\` shows it once applied`);
    return 0;
  },
};
