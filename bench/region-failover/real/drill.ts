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
import type { ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import { RegionProvider } from '../../../sinks/region/region-provider.js';
import type { KafkaConnection } from '../../../streams/runtime/config.js';
import { createKafka } from '../../../streams/runtime/kafka-client.js';
import { createTopicsAndWait } from '../../../streams/runtime/topic-admin.js';
import { waitReplicated, writeBurst, writeRows } from './data.js';
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
import { failRegionA, type PrimaryRegion, shadowMembers, startRegions, TSIG_ENV, tearDown } from './regions.js';
import { accuracy, type Mode, type RealDrillResult, type RunResult, summarise } from './report.js';
import { verify } from './verify.js';

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
    const burstIds = await writeBurst(a, o.rows + 1, o.burst);

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
    if (allAnsweringMs === undefined) {
      throw new Error(
        `not every service answered in ${SHADOW_REGION} within 60 s: ${(await prober.confirm()).join(', ')}`,
      );
    }
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
      allAnsweringMs,
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
      verification: await verify(sh.plan, sh.named, a, o.rows, burstIds, times, prober),
      commands: fo.commands,
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
