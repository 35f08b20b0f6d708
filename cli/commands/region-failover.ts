/**
 * `foreshadow region-failover status|approve <region> [--api-url <url>]`: where a region's failover
 * stands (GET /regions/{id}/failover), and the operator's approval of one that region health asked
 * for (POST /regions/{id}/failover/approve; refused unless it is PENDING_APPROVAL).
 */

import { apiClient } from '../api-client.js';
import { parseFlags, UsageError } from '../args.js';
import type { CliCommand } from '../command.js';

const FLAGS = {
  command: 'region-failover',
  usage: 'usage: foreshadow region-failover status|approve <region> [--api-url <url>]   (token: FORESHADOW_API_TOKEN)',
  options: { 'api-url': { type: 'string' } },
  positionals: true,
} as const;

export const command: CliCommand = {
  summary: "show a region's failover status, or approve the failover waiting for approval",
  async run(args) {
    const { values, positionals } = parseFlags(args, FLAGS);
    const [action, region, extra] = positionals;
    if (extra !== undefined) throw new UsageError(`region-failover: unexpected argument ${extra}`, FLAGS.usage);
    if ((action !== 'status' && action !== 'approve') || !region)
      throw new UsageError('region-failover: status or approve, and a region', FLAGS.usage);
    const api = apiClient(values['api-url'] === undefined ? {} : { apiUrl: values['api-url'] });
    const path = `/regions/${encodeURIComponent(region)}/failover`;
    if (action === 'status') {
      console.log(JSON.stringify(await api.get(path), null, 2));
      return 0;
    }
    const res = (await api.post(`${path}/approve`)) as { requestId: string };
    console.log(`failover of ${region} approved (request ${res.requestId})`);
    return 0;
  },
};
