/**
 * `foreshadow maintenance set|list|cancel`: maintenance windows through the API. Within a window
 * a host (or every host of a region) gets no shadow trigger and no failover; the decisions are
 * recorded as suppressed with the window.
 *
 *   foreshadow maintenance set (--host <h> | --region <r>) (--duration 90m|2h|1d | --end <ISO>)
 *                              [--start <ISO>] --reason <text>
 *   foreshadow maintenance list [--host <h> | --region <r>]
 *   foreshadow maintenance cancel <window id>
 */
import type { ControlState } from '../../schemas/records/control-state.js';
import { apiClient, durationMinutes } from '../api-client.js';
import { parseFlags, UsageError } from '../args.js';
import type { CliCommand } from '../command.js';

const FLAGS = {
  command: 'maintenance',
  usage: [
    'usage: foreshadow maintenance set (--host <h> | --region <r>) (--duration 90m|2h|1d | --end <ISO>) [--start <ISO>] --reason <text>',
    '       foreshadow maintenance list [--host <h> | --region <r>]',
    '       foreshadow maintenance cancel <window id>',
    '       [--api-url <url>]; token: FORESHADOW_API_TOKEN',
  ].join('\n'),
  options: {
    host: { type: 'string' },
    region: { type: 'string' },
    start: { type: 'string' },
    end: { type: 'string' },
    duration: { type: 'string' },
    reason: { type: 'string' },
    'api-url': { type: 'string' },
  },
  positionals: true,
} as const;
const usage = FLAGS.usage;

type Values = ReturnType<typeof parseFlags<typeof FLAGS.options>>['values'];

/** The POST /maintenance body from the flags; the API checks the times against its clock. */
export function maintenanceBody(v: Values): Record<string, unknown> {
  const refuse = (why: string): never => {
    throw new UsageError(`maintenance: ${why}`, usage);
  };
  if ((v.host === undefined) === (v.region === undefined)) refuse('give exactly one of --host and --region');
  if ((v.duration === undefined) === (v.end === undefined)) refuse('give exactly one of --duration and --end');
  if (!v.reason) refuse('--reason is required (it is shown with every decision the window suppresses)');
  const body: Record<string, unknown> = { reason: v.reason };
  if (v.host !== undefined) body.host = v.host;
  if (v.region !== undefined) body.region = v.region;
  if (v.start !== undefined) body.start = v.start;
  if (v.end !== undefined) body.end = v.end;
  if (v.duration !== undefined) {
    const minutes = durationMinutes(v.duration);
    if (minutes === undefined) refuse(`--duration needs 90m, 2h, 1d or a number of minutes, got "${v.duration}"`);
    body.durationMinutes = minutes;
  }
  return body;
}

function describe(w: ControlState): string {
  const what = w.scope === 'HOST' ? `host ${w.subject}` : `region ${w.subject}`;
  return `${w.controlId}  ${what}  ${new Date(w.startsAt).toISOString()} → ${new Date(w.endsAt).toISOString()}  by ${w.principal}: ${w.reason}`;
}

export const command: CliCommand = {
  summary: 'set, list or cancel maintenance windows of a host or region (no trigger, no failover)',
  async run(args) {
    const { values, positionals } = parseFlags(args, FLAGS);
    const [action, id, extra] = positionals;
    if (extra !== undefined) throw new UsageError(`maintenance: unexpected argument ${extra}`, usage);
    if (action === 'set') {
      if (id !== undefined) throw new UsageError(`maintenance: unexpected argument ${id}`, usage);
      const body = maintenanceBody(values);
      const api = apiClient(values['api-url'] === undefined ? {} : { apiUrl: values['api-url'] });
      const res = (await api.post('/maintenance', body)) as { requestId: string };
      console.log(`maintenance window ${res.requestId} requested`);
      return 0;
    }
    if (action === 'list') {
      if (id !== undefined) throw new UsageError(`maintenance: unexpected argument ${id}`, usage);
      const query = values.host
        ? `?host=${encodeURIComponent(values.host)}`
        : values.region
          ? `?region=${encodeURIComponent(values.region)}`
          : '';
      const api = apiClient(values['api-url'] === undefined ? {} : { apiUrl: values['api-url'] });
      const { windows } = (await api.get(`/maintenance${query}`)) as { windows: ControlState[] };
      if (windows.length === 0) console.log('no maintenance windows');
      for (const w of windows) console.log(describe(w));
      return 0;
    }
    if (action === 'cancel') {
      if (!id) throw new UsageError('maintenance: cancel needs a window id', usage);
      const api = apiClient(values['api-url'] === undefined ? {} : { apiUrl: values['api-url'] });
      const res = (await api.post(`/maintenance/${encodeURIComponent(id)}/cancel`)) as { requestId: string };
      console.log(`cancel of ${id} requested (request ${res.requestId})`);
      return 0;
    }
    throw new UsageError(`maintenance: ${action ? `unknown action ${action}` : 'set, list or cancel?'}`, usage);
  },
};
