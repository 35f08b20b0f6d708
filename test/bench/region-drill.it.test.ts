/**
 * The local region drill in its CI form (one warm and one cold run): real PostgreSQL (streaming
 * replication A → B), Redis, HAProxy and BIND processes, a region failover through the failover
 * orchestrator's plan and the real actuators. While region B still runs after each failover the
 * test looks at it itself: PostgreSQL promoted with the epoch fence and the rows written in A,
 * every Redis instance and HAProxy frontend answering, every DNS name answering B at named (dig).
 * Timings are benchmarks, not assertions here: the test checks the report's fields exist and are
 * positive, and that services started in DAG order. Results go to a temporary folder; the
 * committed bench/results/region-failover.json is checked to be untouched.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LiveShadow, runRealRegionDrill } from '../../bench/region-failover/real/drill.js';
import { pgAnswers, redisPing } from '../../bench/region-failover/real/prober.js';
import {
  DRILL_SERVICES,
  PRIMARY_REGION,
  SHADOW_REGION,
  trueDependencies,
} from '../../bench/region-failover/real/region-plan.js';
import { DATABASE } from '../../bench/region-failover/real/regions.js';
import type { RealDrillResult } from '../../bench/region-failover/real/report.js';
import { drillTable } from '../../bench/region-failover/real/table.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { brokers } from '../support/kafka.js';

const COMMITTED = 'bench/results/region-failover.json';
const committedBefore = readFileSync(COMMITTED, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'foreshadow-region-drill-test-'));
const ROWS = 2_000;

interface Seen {
  mode: string;
  inRecovery: boolean;
  rows: number;
  fenceEpoch: number | null;
  epoch: number;
  dig: Record<string, string[]>;
  want: Record<string, string>;
  notAnswering: string[];
}

/** Region B looked at from outside the drill, with its own clients and the real dig. */
async function lookAt(live: LiveShadow): Promise<Seen> {
  const [state] = await live.database.sql<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
  const [rows] = await live.database.sql<{ n: string }>(
    'SELECT count(*)::text AS n FROM orders WHERE id BETWEEN 1 AND $1',
    [ROWS],
    DATABASE,
  );
  const [fence] = await live.database.sql<{ epoch: string }>(
    'SELECT epoch::text AS epoch FROM foreshadow.epochs WHERE subject = $1',
    [`${PRIMARY_REGION}/orders-db`],
    DATABASE,
  );
  const want = live.plan.records(SHADOW_REGION);
  const dig: Record<string, string[]> = {};
  for (const name of Object.keys(want)) dig[name] = await live.named.dig(name);
  const notAnswering: string[] = [];
  for (const s of DRILL_SERVICES) {
    if (s.kind === 'redis') {
      for (let i = 0; i < live.run.services[s.name]!.instances; i++) {
        if (!(await redisPing(live.plan.instance(SHADOW_REGION, s, i)))) notAnswering.push(`${s.name}/${i}`);
      }
    }
    for (const f of s.frontends) {
      const at = live.plan.frontend(SHADOW_REGION, s, f);
      const ok = f.speaks === 'redis' ? await redisPing(at) : await pgAnswers(at, 'SELECT count(*) FROM orders');
      if (!ok) notAnswering.push(`${s.name}/${f.name}`);
    }
  }
  if (
    !(await pgAnswers(live.plan.instance(SHADOW_REGION, DRILL_SERVICES[0]!), 'INSERT INTO drill_probe DEFAULT VALUES'))
  )
    notAnswering.push('orders-db (write)');
  return {
    mode: live.run.mode,
    inRecovery: state?.r ?? true,
    rows: Number(rows?.n ?? 0),
    fenceEpoch: fence ? Number(fence.epoch) : null,
    epoch: live.run.epoch,
    dig,
    want,
    notAnswering,
  };
}

describe('local region drill (real processes, short form)', () => {
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    expect(readFileSync(COMMITTED, 'utf8'), 'the committed results are untouched').toBe(committedBefore);
  });

  it('fails region A over to region B, warm and cold, through the orchestrator and the real actuators', async () => {
    const seen: Seen[] = [];
    const result: RealDrillResult = await runRealRegionDrill({
      runs: 1,
      historyMinutes: 15,
      rows: ROWS,
      burst: 20,
      connection: { ...loadConnection(), brokers: brokers() },
      inspect: async (live) => {
        seen.push(await lookAt(live));
      },
    });
    const out = join(dir, 'region-failover.json');
    writeFileSync(out, JSON.stringify(result, null, 2));
    console.log(drillTable(JSON.parse(readFileSync(out, 'utf8')) as RealDrillResult));

    expect(seen.map((s) => s.mode)).toEqual(['warm', 'cold']);
    for (const s of seen) {
      // PostgreSQL in B promoted, holding every row A wrote (and saw replicated) before the failure,
      // and fenced with this failover's epoch.
      expect(s.inRecovery, s.mode).toBe(false);
      expect(s.rows, s.mode).toBe(ROWS);
      expect(s.fenceEpoch, s.mode).toBe(s.epoch);
      // Every DNS name answers region B at named, read with dig.
      for (const [name, ip] of Object.entries(s.want)) expect(s.dig[name], `${s.mode} ${name}`).toEqual([ip]);
      // Every Redis instance, every HAProxy frontend and the database (a write) answer in B.
      expect(s.notAnswering, s.mode).toEqual([]);
    }

    expect(result.runs).toHaveLength(2);
    for (const r of result.runs) {
      const v = r.verification;
      expect(v.promoted, r.mode).toBe(true);
      expect(v.timeline, r.mode).toBeGreaterThanOrEqual(2);
      expect(v.rowsReplicatedFound, r.mode).toBe(ROWS);
      // Rows written right before the kill were not waited for (asynchronous replication): they
      // may be lost, and the drill counts how many made it.
      expect(v.burstFound, r.mode).toBeLessThanOrEqual(v.burstWritten);
      expect(v.dnsAllShadow, r.mode).toBe(true);
      expect(v.notAnswering, r.mode).toEqual([]);
      // DAG order: each service started only after the actuator saw its dependencies answer.
      expect(v.orderViolations, r.mode).toEqual([]);
      for (const [service, deps] of trueDependencies()) {
        for (const d of deps) {
          expect(r.services[service]!.startMs, `${r.mode}: ${service} after ${d}`).toBeGreaterThanOrEqual(
            r.services[d]!.readyMs,
          );
        }
      }
      // The blueprint came from the evidence: the mapped DAG is the true one.
      expect(r.dag.precision, r.mode).toBe(1);
      expect(r.dag.recall, r.mode).toBe(1);
      // The report's fields exist and are positive (their values are benchmarks, not asserted).
      for (const f of [
        'allAnsweringMs',
        'failoverDoneMs',
        'planMs',
        'launchMs',
        'capacityMs',
        'promoteMs',
        'dnsMs',
      ] as const) {
        expect(r[f], `${r.mode} ${f}`).toBeGreaterThan(0);
      }
      expect(r.discover.readMs + r.discover.mapMs + r.discover.sizeMs, r.mode).toBeGreaterThan(0);
      expect(r.discover.records, r.mode).toBe(
        result.region.history.configs +
          result.region.history.discovery +
          result.region.history.deployments +
          result.region.history.samples,
      );
      expect(r.commands.map((c) => c.type)).toEqual([
        'LAUNCH_LEVEL',
        'LAUNCH_LEVEL',
        'LAUNCH_LEVEL',
        'LAUNCH_LEVEL',
        'CONFIGURE_NETWORKING',
        'REDIRECT_TRAFFIC',
        'START_REPLICATION',
      ]);
    }
    const [warm, cold] = result.runs as [RealDrillResult['runs'][0], RealDrillResult['runs'][0]];
    // Cold discovered and sized after the failure signal; warm had done it before.
    expect(warm.discover.beforeFailure).toBe(true);
    expect(cold.discover.beforeFailure).toBe(false);
    expect(cold.planMs).toBeGreaterThanOrEqual(cold.discover.readMs);
    // Both sides launched the same capacity (same history, same sizing code).
    for (const s of DRILL_SERVICES) expect(cold.services[s.name]!.instances).toBe(warm.services[s.name]!.instances);
    for (const side of [result.warm, result.cold]) {
      expect(side.runs).toBe(1);
      expect(side.allAnsweringMs.median).toBeGreaterThan(0);
    }
    expect(Number.isFinite(result.coldMinusWarmMs)).toBe(true);
  });
});
