/**
 * The region drill's report, pure: what one run measured and checked, the medians (and ranges)
 * per side, and the mapped DAG against the ground truth.
 */
import type { CommandLog, ServiceTiming } from './failover.js';
import type { HistoryCounts } from './history.js';
import { trueDependencies } from './region-plan.js';

export type Mode = 'warm' | 'cold';

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
  allAnsweringMs: number;
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

export function summarise(runs: readonly RunResult[]): ModeSummary {
  const of = (f: (r: RunResult) => number): Spread => spread(runs.map(f));
  return {
    runs: runs.length,
    allAnsweringMs: of((r) => r.allAnsweringMs),
    failoverDoneMs: of((r) => r.failoverDoneMs),
    planMs: of((r) => r.planMs),
    discoverMs: of((r) => r.discover.readMs + r.discover.mapMs + r.discover.sizeMs),
    launchMs: of((r) => r.launchMs),
    promoteMs: of((r) => r.promoteMs),
    dnsMs: of((r) => r.dnsMs),
  };
}

/** The mapped DAG against the ground truth. */
export function accuracy(edges: ReadonlyArray<{ from: string; to: string }>): { precision: number; recall: number } {
  const truth = new Set([...trueDependencies()].flatMap(([from, tos]) => tos.map((to) => `${from}>${to}`)));
  const found = new Set(edges.map((e) => `${e.from}>${e.to}`));
  const hits = [...found].filter((e) => truth.has(e)).length;
  return { precision: found.size === 0 ? 0 : hits / found.size, recall: truth.size === 0 ? 1 : hits / truth.size };
}
