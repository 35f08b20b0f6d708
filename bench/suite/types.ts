/**
 * The shape of bench/results/suite.json. Every figure carries its conditions (records, partitions,
 * sizes, guarantee) so a number never travels without what it was measured under, and every
 * section says explicitly when it could not run instead of leaving a gap or a made-up number.
 */

export type Conditions = Record<string, string | number | boolean>;

export interface Measurement {
  /** Stable identifier, e.g. "kafkajs.produce". */
  name: string;
  /** What was measured, e.g. "throughput", "p99 latency". */
  metric: string;
  unit: string;
  /** Median of `runs`. */
  median: number;
  runs: number[];
  conditions: Conditions;
  /** Secondary figures of the same runs (medians), e.g. MB/s or start-up time. */
  extra?: Record<string, number>;
  note?: string;
}

export type SectionStatus = 'ok' | 'partial' | 'not-available' | 'failed';

export interface Section {
  status: SectionStatus;
  /** Why the section (or part of it) did not run; always set unless status is 'ok'. */
  reason?: string;
  measurements: Measurement[];
  /** Start of the suite run that measured this section (sections not re-run are carried over). */
  measuredAt?: string;
  /** Measurements that could not be taken, each with its reason. */
  unavailable: { name: string; reason: string }[];
}

export interface PeerRatio {
  peer: string;
  guarantee: string;
  /** Peer throughput / Foreshadow throughput in the same run; null while Foreshadow cannot run. */
  peerOverForeshadow: number | null;
  /** The inverse, the form the targets are written in (>= 2 against Quix, >= 0.5 against Kafka Streams). */
  foreshadowOverPeer: number | null;
  target: string;
  note?: string;
}

export interface ClientVerdict {
  platformaticOverKafkajs: Record<string, number | null>;
  clearlyFaster: boolean | null;
  /** Feature checks exercised by the runs themselves, not read from documentation. */
  features: Record<string, boolean>;
  summary: string;
}

export interface SuiteResult {
  suite: 'foreshadow-bench';
  version: 1;
  mode: 'full' | 'short';
  repeats: number;
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; loadAvgStart: number[]; loadAvgEnd: number[]; node: string; kafka: string };
  sections: {
    broker: Section;
    clients: Section & { verdict?: ClientVerdict };
    pipeline: Section & { targets: Record<string, string> };
    peers: Section & { ratios: PeerRatio[] };
  };
}

export function emptySection(): Section {
  return { status: 'ok', measurements: [], unavailable: [] };
}

/** Derives a section's status from what it managed to measure. */
export function settle(section: Section): void {
  if (section.unavailable.length === 0) {
    section.status = 'ok';
    return;
  }
  section.status = section.measurements.length > 0 ? 'partial' : 'not-available';
  section.reason ??= section.unavailable.map((u) => `${u.name}: ${u.reason}`).join('; ');
}
