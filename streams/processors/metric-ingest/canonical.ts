/**
 * The canonical metric catalogue: every name a HostSample may carry besides source-prefixed unknown
 * metrics, its unit, its valid range and how several instances (CPUs, disks, interfaces, mounts)
 * combine into one host-level value. docs/metrics.md is the prose version of this table.
 */

export type MetricRange = 'fraction' | 'non-negative' | 'any';
export type Aggregation = 'sum' | 'mean' | 'max' | 'min' | 'last';

export interface CanonicalMetric {
  name: string;
  unit: string;
  range: MetricRange;
  aggregation: Aggregation;
  doc: string;
  /** A resource that fills up and fails when full (time-to-exhaustion is computed for it). */
  fills?: boolean;
}

export const CANONICAL_METRICS: readonly CanonicalMetric[] = [
  {
    name: 'cpu.utilization',
    unit: 'fraction',
    range: 'fraction',
    aggregation: 'mean',
    doc: 'share of CPU time not idle, all CPUs',
  },
  {
    name: 'cpu.iowait',
    unit: 'fraction',
    range: 'fraction',
    aggregation: 'mean',
    doc: 'share of CPU time waiting for I/O',
  },
  {
    name: 'cpu.load1',
    unit: 'runnable tasks',
    range: 'non-negative',
    aggregation: 'max',
    doc: '1-minute load average',
  },
  {
    name: 'mem.utilization',
    unit: 'fraction',
    range: 'fraction',
    aggregation: 'max',
    doc: 'used / total memory',
    fills: true,
  },
  { name: 'mem.used_bytes', unit: 'bytes', range: 'non-negative', aggregation: 'sum', doc: 'memory in use' },
  {
    name: 'mem.available_bytes',
    unit: 'bytes',
    range: 'non-negative',
    aggregation: 'sum',
    doc: 'memory available to new work',
  },
  {
    name: 'disk.utilization',
    unit: 'fraction',
    range: 'fraction',
    aggregation: 'max',
    doc: 'used / size of the fullest filesystem',
    fills: true,
  },
  {
    name: 'disk.free_bytes',
    unit: 'bytes',
    range: 'non-negative',
    aggregation: 'min',
    doc: 'free bytes on the fullest filesystem',
  },
  {
    name: 'diskio.utilization',
    unit: 'fraction',
    range: 'fraction',
    aggregation: 'max',
    doc: 'share of time the busiest disk had I/O in flight',
  },
  {
    name: 'diskio.read_bytes_per_sec',
    unit: 'bytes/s',
    range: 'non-negative',
    aggregation: 'sum',
    doc: 'disk read throughput',
  },
  {
    name: 'diskio.write_bytes_per_sec',
    unit: 'bytes/s',
    range: 'non-negative',
    aggregation: 'sum',
    doc: 'disk write throughput',
  },
  {
    name: 'diskio.read_ops_per_sec',
    unit: 'ops/s',
    range: 'non-negative',
    aggregation: 'sum',
    doc: 'disk read operations',
  },
  {
    name: 'diskio.write_ops_per_sec',
    unit: 'ops/s',
    range: 'non-negative',
    aggregation: 'sum',
    doc: 'disk write operations',
  },
  {
    name: 'net.rx_bytes_per_sec',
    unit: 'bytes/s',
    range: 'non-negative',
    aggregation: 'sum',
    doc: 'bytes received, all interfaces but loopback',
  },
  {
    name: 'net.tx_bytes_per_sec',
    unit: 'bytes/s',
    range: 'non-negative',
    aggregation: 'sum',
    doc: 'bytes sent, all interfaces but loopback',
  },
  {
    name: 'net.errors_per_sec',
    unit: 'errors/s',
    range: 'non-negative',
    aggregation: 'sum',
    doc: 'interface receive + transmit errors',
  },
  {
    name: 'net.drops_per_sec',
    unit: 'packets/s',
    range: 'non-negative',
    aggregation: 'sum',
    doc: 'interface receive + transmit drops',
  },
  {
    name: 'net.latency_ms',
    unit: 'ms',
    range: 'non-negative',
    aggregation: 'max',
    doc: 'network round-trip latency (ping)',
  },
  { name: 'net.packet_loss', unit: 'fraction', range: 'fraction', aggregation: 'max', doc: 'ping packet loss' },
  {
    name: 'net.connections',
    unit: 'connections',
    range: 'non-negative',
    aggregation: 'sum',
    doc: 'established TCP connections',
  },
  {
    name: 'http.requests_per_sec',
    unit: 'requests/s',
    range: 'non-negative',
    aggregation: 'sum',
    doc: 'requests served',
  },
  {
    name: 'http.latency_p50_ms',
    unit: 'ms',
    range: 'non-negative',
    aggregation: 'max',
    doc: 'request latency, median',
  },
  {
    name: 'http.latency_p95_ms',
    unit: 'ms',
    range: 'non-negative',
    aggregation: 'max',
    doc: 'request latency, 95th percentile',
  },
  {
    name: 'http.latency_p99_ms',
    unit: 'ms',
    range: 'non-negative',
    aggregation: 'max',
    doc: 'request latency, 99th percentile',
  },
  {
    name: 'http.error_rate',
    unit: 'fraction',
    range: 'fraction',
    aggregation: 'max',
    doc: 'share of requests that failed (5xx)',
  },
  {
    name: 'app.errors_per_sec',
    unit: 'errors/s',
    range: 'non-negative',
    aggregation: 'sum',
    doc: 'application errors logged or counted',
  },
];

const BY_NAME = new Map(CANONICAL_METRICS.map((m) => [m.name, m]));

export function canonicalMetric(name: string): CanonicalMetric | undefined {
  return BY_NAME.get(name);
}

export function isCanonical(name: string): boolean {
  return BY_NAME.has(name);
}

/** Fractions a hair above 1 (rounding in agents) are clamped; anything beyond this is rejected. */
export const FRACTION_TOLERANCE = 0.01;

/**
 * Checks one value against its metric's range. Returns the (possibly clamped) value, or a reason
 * string when the value is impossible.
 */
export function checkValue(name: string, value: number): number | string {
  if (!Number.isFinite(value)) return `${name} is not a finite number (${value})`;
  const meta = BY_NAME.get(name);
  if (!meta) return value;
  if (meta.range === 'fraction') {
    if (value < 0) return `${name} is a negative utilisation (${value})`;
    if (value > 1 + FRACTION_TOLERANCE) return `${name} is a fraction above 1 (${value})`;
    return Math.min(1, value);
  }
  if (meta.range === 'non-negative' && value < 0) return `${name} is negative (${value})`;
  return value;
}

export function aggregate(kind: Aggregation, values: readonly number[]): number {
  switch (kind) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'mean':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
    case 'last':
      return values[values.length - 1]!;
  }
}
