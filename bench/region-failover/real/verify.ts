/**
 * What a run left in region B, checked once the failover is over: PostgreSQL promoted with the
 * rows of region A, every name answering B at named (dig), every service started only after the
 * actuators saw its dependencies answer, and every check of the prober passing once more.
 */
import type { ServiceTiming } from './failover.js';
import type { DrillNamed } from './named.js';
import type { Prober } from './prober.js';
import { type RegionPlan, SHADOW_REGION, trueDependencies } from './region-plan.js';
import { DATABASE, type PrimaryRegion } from './regions.js';
import type { Verification } from './report.js';

export async function verify(
  plan: RegionPlan,
  named: DrillNamed,
  a: PrimaryRegion,
  rows: number,
  burstIds: number[],
  times: ReadonlyMap<string, ServiceTiming>,
  prober: Prober,
): Promise<Verification> {
  const [state] = await a.standby.sql<{ standby: boolean; timeline: number }>(
    `SELECT pg_is_in_recovery() AS standby,
            ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS timeline`,
  );
  const [found] = await a.standby.sql<{ n: string }>(
    'SELECT count(*)::text AS n FROM orders WHERE id BETWEEN 1 AND $1',
    [rows],
    DATABASE,
  );
  const [burst] = await a.standby.sql<{ n: string }>(
    'SELECT count(*)::text AS n FROM orders WHERE id = ANY($1::bigint[])',
    [burstIds],
    DATABASE,
  );
  const dns: Record<string, string[]> = {};
  const want = plan.records(SHADOW_REGION);
  for (const name of Object.keys(want)) dns[name] = await named.dig(name);
  const orderViolations: string[] = [];
  for (const [service, deps] of trueDependencies()) {
    const mine = times.get(service);
    for (const d of deps) {
      const dep = times.get(d);
      if (!mine || !dep || mine.startMs < dep.readyMs) {
        orderViolations.push(
          `${service} started at ${mine?.startMs.toFixed(0)} ms, ${d} ready at ${dep?.readyMs.toFixed(0)} ms`,
        );
      }
    }
  }
  return {
    promoted: state?.standby === false,
    timeline: state?.timeline ?? 0,
    rowsReplicated: rows,
    rowsReplicatedFound: Number(found?.n ?? 0),
    burstWritten: burstIds.length,
    burstFound: Number(burst?.n ?? 0),
    dns,
    dnsAllShadow: Object.entries(want).every(([name, ip]) => (dns[name] ?? []).join() === ip),
    orderViolations,
    notAnswering: await prober.confirm(),
  };
}
