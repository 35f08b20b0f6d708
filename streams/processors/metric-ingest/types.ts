/**
 * Shapes shared by the ingest parsers and the normaliser. A parser turns one raw Kafka record into
 * `ParsedSample`s made of `Observation`s: canonical names where the parser knows the source metric,
 * source-prefixed names otherwise. Counters stay cumulative here; the normaliser turns them into
 * rates with the per-host counter state.
 */

export type InputFormat = 'avro' | 'json' | 'influx' | 'collectd' | 'otlp';

export interface Observation {
  /**
   * Canonical metric, unknown source-prefixed metric, or an internal partial:
   * `_ratio.<target>.num|den` (target = num/den per instance) or `_hist.<target>` (a histogram
   * bucket whose instance is `<series>|<upper bound in the target unit>`).
   */
  name: string;
  value: number;
  kind: 'gauge' | 'counter';
  /** CPU, disk, interface, mount...: counters and ratios are tracked per instance. */
  instance?: string;
  /** Multiplier applied after rate conversion (e.g. ms of io_time per second -> fraction). */
  scale?: number;
}

export interface ParsedSample {
  host: string;
  region: string;
  zone: string;
  timestamp: number;
  tags: Record<string, string>;
  source: InputFormat;
  observations: Observation[];
}

/** Thrown by parsers and the normaliser; the processor turns it into a dead letter with the reason. */
export class IngestRejection extends Error {
  constructor(
    readonly reason: string,
    readonly format?: InputFormat,
  ) {
    super(reason);
    this.name = 'IngestRejection';
  }
}

/** Tags that name where a host lives, in the spellings agents use. */
export function placement(tags: Readonly<Record<string, string>>): { region: string; zone: string } {
  const region = tags.region ?? tags['cloud.region'] ?? tags.aws_region ?? '';
  const zone = tags.zone ?? tags['cloud.availability_zone'] ?? tags.az ?? tags.availability_zone ?? '';
  return { region, zone };
}

/** Epoch ms from a number in s, ms, us or ns (agents disagree; the magnitude tells them apart). */
export function epochMillis(n: number): number {
  const a = Math.abs(n);
  if (a >= 1e17) return Math.round(n / 1e6);
  if (a >= 1e14) return Math.round(n / 1e3);
  if (a >= 1e11) return Math.round(n);
  return Math.round(n * 1000);
}
