/** `foreshadow control [--json] [--api-url <url>]`: the safety controls in force (GET /control). */
import type { ControlSummary } from '../../api/read-model.js';
import { apiClient } from '../api-client.js';
import { parseFlags } from '../args.js';
import type { CliCommand } from '../command.js';

const FLAGS = {
  command: 'control',
  usage: 'usage: foreshadow control [--json] [--api-url <url>]   (token: FORESHADOW_API_TOKEN)',
  options: { json: { type: 'boolean' }, 'api-url': { type: 'string' } },
} as const;

export const command: CliCommand = {
  summary: 'show the safety controls in force: pause, maintenance windows, failovers awaiting approval',
  async run(args) {
    const { values } = parseFlags(args, FLAGS);
    const api = apiClient(values['api-url'] === undefined ? {} : { apiUrl: values['api-url'] });
    const c = (await api.get('/control')) as ControlSummary;
    if (values.json) {
      console.log(JSON.stringify(c, null, 2));
      return 0;
    }
    console.log(
      c.paused && c.pause
        ? `PAUSED since ${new Date(c.pause.startsAt).toISOString()} by ${c.pause.principal}${c.pause.reason ? `: ${c.pause.reason}` : ''}`
        : 'automation running (not paused)',
    );
    console.log(`maintenance windows: ${c.maintenance.length}`);
    for (const w of c.maintenance)
      console.log(
        `  ${w.controlId}  ${w.scope.toLowerCase()} ${w.subject}  until ${new Date(w.endsAt).toISOString()}: ${w.reason}`,
      );
    console.log(`region failovers awaiting approval: ${c.pendingApprovals.length}`);
    for (const p of c.pendingApprovals) console.log(`  ${p.region}: ${p.trigger}`);
    return 0;
  },
};
