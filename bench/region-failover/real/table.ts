/** The README table of the local region drill, from its JSON result. */
import type { RealDrillResult, Spread } from './report.js';

const ms = (s: Spread, runs: number): string =>
  runs > 1
    ? `${s.median.toLocaleString('en-GB')} ms (${s.min.toLocaleString('en-GB')}–${s.max.toLocaleString('en-GB')})`
    : `${s.median.toLocaleString('en-GB')} ms`;

export function drillTable(r: RealDrillResult): string {
  const n = r.options.runs;
  const w = r.warm;
  const c = r.cold;
  return [
    `| region failover, ${n > 1 ? `median of ${n} runs each (range)` : '1 run each'} | warm: live blueprint | cold: no blueprint |`,
    '| --- | --- | --- |',
    `| **failure signal → every service answering in region B** | **${ms(w.allAnsweringMs, n)}** | **${ms(c.allAnsweringMs, n)}** |`,
    `| signal → first command (plan; cold: read evidence + history from Kafka, map, size, build) | ${ms(w.planMs, n)} | ${ms(c.planMs, n)} |`,
    `| of which discovery and sizing | done before the failure (${ms(w.discoverMs, n)}) | ${ms(c.discoverMs, n)} |`,
    `| launch: capacity, then the 7 services in DAG order | ${ms(w.launchMs, n)} | ${ms(c.launchMs, n)} |`,
    `| of which PostgreSQL promotion (pg_promote + epoch claim) | ${ms(w.promoteMs, n)} | ${ms(c.promoteMs, n)} |`,
    `| DNS: ${Object.keys(r.runs[0]?.verification.dns ?? {}).length} records moved (RFC 2136 + TSIG, fenced, read back) | ${ms(w.dnsMs, n)} | ${ms(c.dnsMs, n)} |`,
    `| failover DONE (after the reverse-replication slot) | ${ms(w.failoverDoneMs, n)} | ${ms(c.failoverDoneMs, n)} |`,
  ].join('\n');
}
