/** `foreshadow resume [--reason <text>] [--api-url <url>]`: lifts the pause (POST /control/resume). */
import { apiClient } from '../api-client.js';
import { parseFlags } from '../args.js';
import type { CliCommand } from '../command.js';

const FLAGS = {
  command: 'resume',
  usage: 'usage: foreshadow resume [--reason <text>] [--api-url <url>]   (token: FORESHADOW_API_TOKEN)',
  options: { reason: { type: 'string' }, 'api-url': { type: 'string' } },
} as const;

export const command: CliCommand = {
  summary: 'resume automation after a pause',
  async run(args) {
    const { values } = parseFlags(args, FLAGS);
    const api = apiClient(values['api-url'] === undefined ? {} : { apiUrl: values['api-url'] });
    const res = (await api.post('/control/resume', values.reason === undefined ? {} : { reason: values.reason })) as {
      requestId: string;
    };
    console.log(`resume requested (request ${res.requestId})`);
    return 0;
  },
};
