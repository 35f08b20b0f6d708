/**
 * The local region drill: a real region failover on this machine, measured on the wall clock from
 * the failure signal (every process of region A SIGKILLed) to every service answering in region B,
 *   warm — with the live blueprint: built before the failure, from region A's evidence and metrics
 *          history, by the real dependency mapper, capacity maths and shadow-region builder;
 *   cold — without one: after the failure signal the same function reads the same evidence and
 *          history from Kafka, maps, sizes and builds the blueprint, then the same failover runs.
 * Like for like: same machine, same run, same services, same actuators, same orchestrator plan;
 * the only difference is whether the blueprint exists when the failure comes. Runs alternate
 * warm, cold, cold, warm, ... so drift in the machine's load falls on both alike.
 * Every run builds both regions afresh (region A serving with the shop's data, region B a hot
 * standby of its database only) and tears them down; one named serves the whole drill.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { RegionProvider } from '../../../sinks/region/region-provider.js';
import type { ShadowBlueprint } from '../../../streams/processors/failover-orchestrator/types.js';
import type { KafkaConnection } from '../../../streams/runtime/config.js';
import { createKafka } from '../../../streams/runtime/kafka-client.js';
import { createTopicsAndWait } from '../../../streams/runtime/topic-admin.js';
import { type CommandLog, runRegionFailover, type ServiceTiming, timedMember } from './failover.js';
import { type Discovery, discoverBlueprint, type HistoryCounts, historyTopics, publishHistory } from './history.js';
import { DrillNamed } from './named.js';
import { freeBasePort } from './ports.js';
import type { PgCluster } from './postgres-cluster.js';
import { Prober, shadowChecks } from './prober.js';
import {
  DNS_ZONE,
  DRILL_SERVICES,
  PRIMARY_REGION,
  RegionPlan,
  SHADOW_REGION,
  trueDependencies,
} from './region-plan.js';
import {
  DATABASE,
  failRegionA,
  type PrimaryRegion,
  shadowMembers,
  startRegions,
  TSIG_ENV,
  tearDown,
} from './regions.js';

export type Mode = 'warm' | 'cold';

export interface RealDrillOptions {
  /** Runs of each mode. */
  runs: number;
  /** Minutes of metrics history (one sample per instance every 10 s); 15 = the fingerprint's window. */
  historyMinutes: number;
  /** Rows written in region A and replicated before the failure. */
  rows: number;
  /** Rows written in region A right before the failure, without waiting for replication. */
  burst: number;
  connection: KafkaConnection;
  /** Called with region B still running after each run's failover (tests check it themselves). */
  inspect?: (live: LiveShadow) => Promise<void>;
  log?: (line: string) => void;
}

export interface LiveShadow {
  plan: RegionPlan;
  named: DrillNamed;
  /** Region B's PostgreSQL (the promoted standby). */
  database: PgCluster;
  run: RunResult;
}

export interface Verification {
  promoted: boolean;
  timeline: number;
  rowsReplicated: number;
  rowsReplicatedFound: number;
  burstWritten: number;
  burstFound: number;
  /** record → its answers at named (dig), after the failover. */
  dns: Record<string, string[]>;
  dnsAllShadow: boolean;
  /** Dependency edges whose dependant started before its dependency was ready. */
  orderViolations: string[];
  /** Checks failing in a final round after the failover (none when every service answers). */
  notAnswering: string[];
}

export interface RunResult {
  mode: Mode;
  run: number;
  epoch: number;
  /** Failure signal → every service of region B answering (the headline). */
  allAnsweringMs: number | null;
  /** Failure signal → the orchestrator's DONE (after the reverse-replication slot). */
  failoverDoneMs: number;
  /** Failure signal → the plan's first command: cold includes discovery and sizing. */
  planMs: number;
  /** Cold: reading evidence and history, mapping, sizing (inside planMs); warm: done before the failure. */
  discover: { readMs: number; mapMs: number; sizeMs: number; records: number; beforeFailure: boolean };
  /** The orchestrator's LAUNCH step (capacity, then every service in DAG order). */
  launchMs: number;
  /** The capacity launch (provisionOnly: configurations written and checked, standby checked). */
  capacityMs: number;
  /** PostgreSQL's start: pg_promote() and the epoch claim, to writable. */
  promoteMs: number;
  networkingMs: number;
  /** REDIRECT_TRAFFIC: every DNS record moved to region B (RFC 2136 + TSIG, fenced, read back). */
  dnsMs: number;
  replicationMs: number;
  services: Record<
    string,
    ServiceTiming & { answeredMs: number | null; instances: number; level: number; dependsOn: string[] }
  >;
  dag: { edges: number; precision: number; recall: number; levels: number };
  verification: Verification;
  commands: CommandLog[];
  events: string[];
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return { median: 0, min: 0, max: 0 };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median: Math.round(median), min: Math.round(v[0]!), max: Math.round(v.at(-1)!) };
}

export interface ModeSummary {
  runs: number;
  allAnsweringMs: Spread;
  failoverDoneMs: Spread;
  planMs: Spread;
  discoverMs: Spread;
  launchMs: Spread;
  promoteMs: Spread;
  dnsMs: Spread;
}

export interface RealDrillResult {
  drill: 'region-failover (local, real processes)';
  when: string;
  machine: { cpus: number; loadavgBefore: number[]; loadavgAfter: number[] };
  options: { runs: number; historyMinutes: number; rows: number; burst: number };
  region: {
    primary: string;
    shadow: string;
    services: { service: string; kind: string; dependsOn: string[] }[];
    history: HistoryCounts;
  };
  /** The blueprint of the first run: instances per service, launch level, mapped dependencies. */
  blueprint: { service: string; instances: number; level: number; dependsOn: string[] }[];
  warm: ModeSummary;
  cold: ModeSummary;
  /** median cold − median warm, all services answering. */
  coldMinusWarmMs: number;
  runs: RunResult[];
}

function summarise(runs: readonly RunResult[]): ModeSummary {
  const of = (f: (r: RunResult) => number): Spread => spread(runs.map(f));
  return {
    runs: runs.length,
    allAnsweringMs: of((r) => r.allAnsweringMs ?? Number.NaN),
    failoverDoneMs: of((r) => r.failoverDoneMs),
    planMs: of((r) => r.planMs),
    discoverMs: of((r) => r.discover.readMs + r.discover.mapMs + r.discover.sizeMs),
    launchMs: of((r) => r.launchMs),
    promoteMs: of((r) => r.promoteMs),
    dnsMs: of((r) => r.dnsMs),
  };
}

async function writeRows(a: PrimaryRegion, rows: number): Promise<void> {
  for (let from = 1; from <= rows; from += 1_000) {
    const to = Math.min(rows, from + 999);
    await a.db.sql(
      `INSERT INTO orders (id, note) SELECT g, 'order ' || g FROM generate_series($1::bigint, $2::bigint) g`,
      [from, to],
      DATABASE,
    );
  }
}

/** Until the standby has replayed everything the primary has written. */
async function waitReplicated(a: PrimaryRegion): Promise<void> {
  const [current] = await a.db.sql<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  const lsn = current?.lsn ?? '0/0';
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row] = await a.standby.sql<{ caught: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught', [
      lsn,
    ]);
    if (row?.caught) return;
    if (Date.now() > deadline) throw new Error(`standby did not replay ${lsn} within 30 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function verify(
  plan: RegionPlan,
  named: DrillNamed,
  a: PrimaryRegion,
  o: RealDrillOptions,
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
    [o.rows],
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
    rowsReplicated: o.rows,
    rowsReplicatedFound: Number(found?.n ?? 0),
    burstWritten: burstIds.length,
    burstFound: Number(burst?.n ?? 0),
    dns,
    dnsAllShadow: Object.entries(want).every(([name, ip]) => (dns[name] ?? []).join() === ip),
    orderViolations,
    notAnswering: await prober.confirm(),
  };
}

/** The mapped DAG against the ground truth. */
function accuracy(edges: ReadonlyArray<{ from: string; to: string }>): { precision: number; recall: number } {
  const truth = new Set([...trueDependencies()].flatMap(([from, tos]) => tos.map((to) => `${from}>${to}`)));
  const found = new Set(edges.map((e) => `${e.from}>${e.to}`));
  const hits = [...found].filter((e) => truth.has(e)).length;
  return { precision: found.size === 0 ? 0 : hits / found.size, recall: truth.size === 0 ? 1 : hits / truth.size };
}

interface Shared {
  plan: RegionPlan;
  named: DrillNamed;
  kafka: Kafka;
  topics: ReturnType<typeof historyTopics>;
  history?: HistoryCounts;
  group: string;
}

async function runOnce(
  mode: Mode,
  run: number,
  epoch: number,
  root: string,
  sh: Shared,
  o: RealDrillOptions,
): Promise<RunResult> {
  const log = o.log ?? (() => undefined);
  const dir = join(root, `run-${run}-${mode}`);
  await mkdir(dir, { recursive: true });
  let a: PrimaryRegion | undefined;
  try {
    a = await startRegions(sh.plan, dir);
    if (!sh.history) {
      sh.history = await publishHistory(sh.kafka, sh.topics, sh.plan, a.balancerConfigs, Date.now(), o.historyMinutes);
    }
    await writeRows(a, o.rows);
    await waitReplicated(a);
    await sh.named.set(sh.plan.records(PRIMARY_REGION));
    let warm: Discovery | undefined;
    if (mode === 'warm') warm = await discoverBlueprint(sh.kafka, sh.topics, `${sh.group}-${run}`, Date.now(), epoch);
    const burstIds = Array.from({ length: o.burst }, (_, i) => o.rows + 1 + i);
    const writer = await a.db.client(DATABASE);
    for (const id of burstIds) await writer.query(`INSERT INTO orders (id, note) VALUES ($1, 'late')`, [id]);
    await writer.end().catch(() => undefined);

    // The failure and its signal.
    await failRegionA(dir, a);
    const t0 = performance.now();
    log(`run ${run} (${mode}): region ${PRIMARY_REGION} killed`);
    const times = new Map<string, ServiceTiming>();
    const provider = new RegionProvider(
      shadowMembers(sh.plan, join(dir, 'b'), sh.named).map((m) => timedMember(m, t0, times)),
    );
    let discovery = warm;
    let checksFor: ShadowBlueprint | undefined = warm?.blueprint;
    let prober: Prober | undefined;
    if (checksFor) {
      prober = new Prober(shadowChecks(sh.plan, checksFor, sh.named.port));
      prober.start(t0);
    }
    if (!discovery) discovery = await discoverBlueprint(sh.kafka, sh.topics, `${sh.group}-${run}`, Date.now(), epoch);
    if (!prober) {
      // Cold: which instances to probe is only known now; the checks' clock still starts at t0.
      checksFor = discovery.blueprint;
      prober = new Prober(shadowChecks(sh.plan, checksFor, sh.named.port));
      prober.start(t0);
    }
    const fo = await runRegionFailover(
      provider,
      discovery.blueprint,
      epoch,
      t0,
      `region ${PRIMARY_REGION} failed (drill run ${run}, ${mode})`,
    );
    const allAnsweringMs = await prober.allAnswering(60_000);
    log(
      `run ${run} (${mode}): all answering ${allAnsweringMs?.toFixed(0)} ms, failover ${fo.failover.step} ${fo.doneMs.toFixed(0)} ms`,
    );
    if (fo.failover.step !== 'DONE') throw new Error(`failover ended ${fo.failover.step}:\n${fo.events.join('\n')}`);
    const step = (name: string): number => fo.failover.stepTimings.find((s) => s.step === name)?.ms ?? 0;
    const duration = (pred: (c: CommandLog) => boolean): number => {
      const c = fo.commands.find(pred);
      return c ? c.doneMs - c.issuedMs : 0;
    };
    const answered = prober.serviceAnswered();
    const acc = accuracy(discovery.dag.edges);
    const result: RunResult = {
      mode,
      run,
      epoch,
      allAnsweringMs: allAnsweringMs ?? null,
      failoverDoneMs: fo.doneMs,
      planMs: fo.firstCommandMs,
      discover: {
        readMs: discovery.readMs,
        mapMs: discovery.mapMs,
        sizeMs: discovery.sizeMs,
        records: discovery.records,
        beforeFailure: mode === 'warm',
      },
      launchMs: step('LAUNCH'),
      capacityMs: duration((c) => c.provisionOnly),
      promoteMs: (() => {
        const t = times.get('orders-db');
        return t ? t.readyMs - t.startMs : 0;
      })(),
      networkingMs: step('NETWORKING'),
      dnsMs: step('REDIRECT'),
      replicationMs: step('REPLICATION'),
      services: Object.fromEntries(
        discovery.blueprint.services.map((s) => [
          s.service,
          {
            startMs: times.get(s.service)?.startMs ?? -1,
            readyMs: times.get(s.service)?.readyMs ?? -1,
            answeredMs: answered.get(s.service) ?? null,
            instances: s.instances,
            level: s.launchLevel,
            dependsOn: s.dependsOn,
          },
        ]),
      ),
      dag: { edges: discovery.dag.edges.length, ...acc, levels: discovery.dag.levels.length },
      verification: await verify(sh.plan, sh.named, a, o, burstIds, times, prober),
      commands: fo.commands,
      events: fo.events,
    };
    await o.inspect?.({ plan: sh.plan, named: sh.named, database: a.standby, run: result });
    return result;
  } finally {
    await tearDown(dir, a);
    await rm(dir, { recursive: true, force: true });
  }
}

/** warm, cold, cold, warm, warm, cold, ...: each mode sees early and late runs alike. */
export function runOrder(runs: number): Mode[] {
  const out: Mode[] = [];
  for (let i = 0; i < runs; i++) out.push(...(i % 2 === 0 ? (['warm', 'cold'] as const) : (['cold', 'warm'] as const)));
  return out;
}

export async function runRealRegionDrill(o: RealDrillOptions): Promise<RealDrillResult> {
  const loadavgBefore = loadavg();
  const root = await mkdtemp(join(tmpdir(), 'foreshadow-region-drill-'));
  const id = randomBytes(4).toString('hex');
  const kafka = createKafka(o.connection, `foreshadow-region-drill-${id}`);
  const topics = historyTopics(`foreshadow.region-drill.${id}`);
  const admin = kafka.admin();
  await admin.connect();
  let named: DrillNamed | undefined;
  const previousSecret = process.env[TSIG_ENV];
  try {
    await createTopicsAndWait(
      admin,
      Object.values(topics).map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
    );
    const plan = new RegionPlan(await freeBasePort());
    await mkdir(join(root, 'dns'));
    named = await DrillNamed.start(join(root, 'dns'), await freeBasePort(1), DNS_ZONE);
    process.env[TSIG_ENV] = named.secret;
    const shared: Shared = { plan, named, kafka, topics, group: `foreshadow-region-drill-${id}` };
    const results: RunResult[] = [];
    let epoch = 0;
    for (const [i, mode] of runOrder(o.runs).entries()) {
      epoch++;
      results.push(await runOnce(mode, i, epoch, root, shared, o));
    }
    const warm = results.filter((r) => r.mode === 'warm');
    const cold = results.filter((r) => r.mode === 'cold');
    const warmSummary = summarise(warm);
    const coldSummary = summarise(cold);
    const bp = warm[0] ?? cold[0]!;
    return {
      drill: 'region-failover (local, real processes)',
      when: new Date().toISOString(),
      machine: { cpus: cpus().length, loadavgBefore, loadavgAfter: loadavg() },
      options: { runs: o.runs, historyMinutes: o.historyMinutes, rows: o.rows, burst: o.burst },
      region: {
        primary: PRIMARY_REGION,
        shadow: SHADOW_REGION,
        services: DRILL_SERVICES.map((s) => ({
          service: s.name,
          kind: s.kind,
          dependsOn: trueDependencies().get(s.name) ?? [],
        })),
        history: shared.history!,
      },
      blueprint: Object.entries(bp.services).map(([service, s]) => ({
        service,
        instances: s.instances,
        level: s.level,
        dependsOn: s.dependsOn,
      })),
      warm: warmSummary,
      cold: coldSummary,
      coldMinusWarmMs: coldSummary.allAnsweringMs.median - warmSummary.allAnsweringMs.median,
      runs: results,
    };
  } finally {
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    await named?.stop();
    if (previousSecret === undefined) delete process.env[TSIG_ENV];
    else process.env[TSIG_ENV] = previousSecret;
    await rm(root, { recursive: true, force: true });
  }
}
