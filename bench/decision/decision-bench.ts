/**
 * Shadow decision latency at fleet scale: how long the shadow manager takes from a host's risk
 * record to the shadow commands it decides, with a given number of hosts and resources in its view.
 *
 * The manager's own topology (`buildShadowManagerTopology`, the same processor the `shadows` app
 * runs) in the TopologyTestDriver: the fleet's hosts and deployments are piped in first as the
 * tables would deliver them, then routine risk records (no trigger) and triggering ones (a host
 * deviating with rising risk, so every resource on it is queued and placed) are timed one by one,
 * each from pipeInput to its output being readable. The driver commits the stores after every
 * input, as the runtime's per-record path would; its byte stores are in memory, so RocksDB and the
 * Kafka hops (risk topic → router → fleet topic → manager → shadow.commands) are not in the figure.
 *
 * Then the manager's wall-clock rounds are timed (`advanceWallClockTime`, 1 s each).
 *
 * `npm run bench:decision [-- --hosts N --resources M --triggers K --routine R --ticks T --out FILE]`
 * (default 100,000 hosts, 500,000 resources, bench/results/decision.json).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { numberFlag, parseFlags, runMain } from '../../cli/args.js';
import type { Deployment } from '../../schemas/records/deployment.js';
import type { Host } from '../../schemas/records/host.js';
import type { HostRisk } from '../../schemas/records/host-risk.js';
import type { ShadowCommand } from '../../schemas/records/shadow-command.js';
import { SHADOW_COMMANDS_TOPIC, SHADOW_STATE_TOPIC } from '../../streams/catalogue.js';
import {
  buildShadowManagerTopology,
  FLEET_WRAPPERS,
  type FleetInputTopic,
  fleetTopic,
} from '../../streams/processors/shadow-manager/topology.js';
import { TopologyTestDriver } from '../../streams/testing/topology-test-driver.js';
import { jsonValueSerdes } from '../../streams/topic-serdes.js';
import { percentile, round } from '../suite/stats.js';

export interface DecisionBenchOptions {
  hosts: number;
  resources: number;
  /** Triggering risk records timed after the first (each queues and places every resource of one host). */
  triggers: number;
  /** Routine risk records timed (healthy hosts, no decision to make). */
  routine: number;
  /** Wall-clock rounds timed, after the triggers. */
  ticks: number;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface DecisionBench {
  generatedAt: string;
  command: string;
  machine: { cpu: string; cores: number; loadAverage: number[]; node: string };
  options: DecisionBenchOptions;
  what: string;
  loadMs: number;
  heapUsedMiB: number;
  /** The first triggering risk record after the task opened: it builds the in-memory indexes. */
  firstDecisionMs: number;
  /** Risk record in → its shadow commands out, for hosts that trigger (after the first). */
  trigger: LatencySummary & { commandsPerTrigger: number };
  /** Risk record in → processed, for hosts that stay healthy. */
  routine: LatencySummary;
  /** One wall-clock round of the manager (timeouts, retirement, heartbeat loss, queue). */
  tick: LatencySummary;
}

const T0 = 1_700_000_000_000;
const ZONES = ['a', 'b', 'c'];
const TIERS: Deployment['tier'][] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];

function hostRecord(i: number): Host {
  const zone = ZONES[i % ZONES.length]!;
  return {
    host: `h${i}`,
    region: 'eu-1',
    zone,
    rack: `${zone}-r${i % 40}`,
    address: `h${i}.internal`,
    cpuCores: 32,
    memoryMb: 131_072,
    state: 'UP',
    labels: {},
    updatedAt: T0 - 60_000,
  };
}

function deploymentRecord(j: number, hosts: number): Deployment {
  const h = hostRecord(j % hosts);
  return {
    resourceId: `r${j}`,
    kind: 'redis',
    service: `svc${j % 500}`,
    host: h.host,
    region: h.region,
    zone: h.zone,
    rack: h.rack,
    tier: TIERS[j % TIERS.length]!,
    config: {},
    configRef: '',
    replication: true,
    address: `${h.address}:${6379 + (j % 1000)}`,
    cpu: 1,
    memoryMb: 1024,
    outcome: 'SUCCEEDED',
    deployedAt: T0 - 3_600_000,
  };
}

function riskRecord(host: string, pFail: number, at: number): HostRisk {
  const degrading = pFail >= 0.5;
  return {
    host,
    region: 'eu-1',
    zone: '',
    timestamp: at,
    horizonMs: 3_600_000,
    pFail,
    level: pFail > 0.9 ? 'CRITICAL' : pFail > 0.6 ? 'WARNING' : 'OK',
    trend: degrading ? 0.2 : 0,
    rising: degrading,
    deviating: degrading,
    deviationScore: degrading ? 4 : 0.5,
    timeToFailureMs: pFail > 0.9 ? 600_000 : null,
    drivers: [],
    modelVersion: 'bench',
  };
}

function summary(samples: number[]): LatencySummary {
  const r = (x: number): number => round(x, 2);
  return {
    count: samples.length,
    p50Ms: r(percentile(samples, 50)),
    p99Ms: r(percentile(samples, 99)),
    maxMs: r(Math.max(...samples)),
  };
}

export async function benchDecision(o: DecisionBenchOptions): Promise<DecisionBench> {
  if (o.resources < o.hosts) throw new Error('--resources must be at least --hosts (every host carries one)');
  // Budgets wide enough that every triggered resource is placed: the figure is the decision, not a deferral.
  const manager = {
    heartbeatIntervalMs: 3_600_000,
    maxConcurrentShadows: 1_000_000,
    maxFleetShare: 1,
    createsPerMinute: 1_000_000,
    createBurst: 1_000_000,
  };
  const driver = new TopologyTestDriver(buildShadowManagerTopology({ serdes: jsonValueSerdes, manager }), {
    initialWallClockMs: T0,
  });
  const topic = fleetTopic();
  let now = T0;
  const pipe = async (input: FleetInputTopic, key: string, value: unknown): Promise<void> => {
    const envelope = FLEET_WRAPPERS[input](key, value);
    if (envelope) await driver.pipeInput(topic, 'fleet', envelope, now);
  };

  const loadStart = performance.now();
  for (let i = 0; i < o.hosts; i++) await pipe('hosts', `h${i}`, hostRecord(i));
  for (let j = 0; j < o.resources; j++) await pipe('deployments', `r${j}`, deploymentRecord(j, o.hosts));
  driver.readOutput(SHADOW_STATE_TOPIC);
  const loadMs = performance.now() - loadStart;

  const routine: number[] = [];
  for (let k = 0; k < o.routine; k++) {
    now += 1000;
    const host = `h${(k * 7919) % o.hosts}`;
    const t = performance.now();
    await pipe('risk', host, riskRecord(host, 0.05, now));
    routine.push(performance.now() - t);
    driver.readOutput(SHADOW_STATE_TOPIC);
  }

  const trigger: number[] = [];
  let firstDecisionMs = 0;
  let commands = 0;
  // One more trigger than timed: the first decision after the task opens builds the manager's
  // in-memory indexes from its stores, so it is reported on its own.
  for (let k = 0; k <= o.triggers; k++) {
    now += 1000;
    const host = `h${(k * 104_729 + 1) % o.hosts}`;
    const t = performance.now();
    await pipe('risk', host, riskRecord(host, 0.95, now));
    const out = driver.readOutput<string, ShadowCommand>(SHADOW_COMMANDS_TOPIC);
    if (k === 0) firstDecisionMs = performance.now() - t;
    else trigger.push(performance.now() - t);
    const creates = out.filter((c) => c.value.type === 'CREATE').length;
    if (creates === 0) throw new Error(`risk on ${host} decided no shadow: the benchmark measures nothing`);
    if (k > 0) commands += creates;
    driver.readOutput(SHADOW_STATE_TOPIC);
  }

  // The wall-clock round (every tickMs, 1 s by default) looks at every host and shadow.
  const ticks: number[] = [];
  for (let k = 0; k < o.ticks; k++) {
    const t = performance.now();
    await driver.advanceWallClockTime(1000);
    ticks.push(performance.now() - t);
    driver.readOutput(SHADOW_STATE_TOPIC);
    driver.readOutput(SHADOW_COMMANDS_TOPIC);
  }

  return {
    generatedAt: new Date().toISOString(),
    command: 'npm run bench:decision',
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
      node: process.version,
    },
    options: o,
    what: 'shadow manager topology in the TopologyTestDriver (in-memory byte stores, commit per input); no Kafka hops, no RocksDB',
    loadMs: Math.round(loadMs),
    heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    firstDecisionMs: round(firstDecisionMs, 2),
    trigger: { ...summary(trigger), commandsPerTrigger: o.triggers > 0 ? commands / o.triggers : 0 },
    routine: summary(routine),
    tick: summary(ticks),
  };
}

const FLAGS = {
  command: 'bench:decision',
  usage:
    'usage: npm run bench:decision -- [--hosts <n>] [--resources <n>] [--triggers <n>] [--routine <n>] [--ticks <n>] [--out <file>]',
  options: {
    hosts: { type: 'string' },
    resources: { type: 'string' },
    triggers: { type: 'string' },
    routine: { type: 'string' },
    ticks: { type: 'string' },
    out: { type: 'string' },
  },
} as const;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runMain(async () => {
    const { values } = parseFlags(process.argv.slice(2), FLAGS);
    const n = (v: string | undefined, flag: string, d: number): number =>
      numberFlag(v, flag, FLAGS, { min: 1, integer: true }) ?? d;
    const report = await benchDecision({
      hosts: n(values.hosts, 'hosts', 100_000),
      resources: n(values.resources, 'resources', 500_000),
      triggers: n(values.triggers, 'triggers', 50),
      routine: n(values.routine, 'routine', 200),
      ticks: n(values.ticks, 'ticks', 20),
    });
    const out = values.out ?? 'bench/results/decision.json';
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report, null, 2));
    return 0;
  });
}
