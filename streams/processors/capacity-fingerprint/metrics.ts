/**
 * The six capacity metrics a fingerprint profiles, and the canonical HostSample metric names they
 * are read from. The order of CAPACITY_METRICS is part of the binary format (metric ids are
 * indices into it), so new metrics are appended, never inserted.
 */
export const CAPACITY_METRICS = ['cpu', 'memory', 'netIo', 'diskIo', 'connections', 'latency'] as const;

export type CapacityMetric = (typeof CAPACITY_METRICS)[number];

/**
 * Which canonical HostSample metrics (docs/metrics.md) feed each capacity metric; several names
 * are summed (network and disk I/O arrive as separate read/write directions). Overridable in the
 * processor options.
 */
export type MetricSources = Readonly<Record<CapacityMetric, string | readonly string[]>>;

export const DEFAULT_METRIC_NAMES: MetricSources = {
  cpu: 'cpu.utilization',
  memory: 'mem.utilization',
  netIo: ['net.rx_bytes_per_sec', 'net.tx_bytes_per_sec'],
  diskIo: ['diskio.read_bytes_per_sec', 'diskio.write_bytes_per_sec'],
  connections: 'net.connections',
  latency: 'http.latency_p95_ms',
};

/** Sample tags naming the service and the instance a sample belongs to. */
export const SERVICE_TAG = 'service';
export const INSTANCE_TAG = 'instance';
