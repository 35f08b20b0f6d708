/**
 * The six capacity metrics a fingerprint profiles, and the canonical HostSample metric names they
 * are read from. The order of CAPACITY_METRICS is part of the binary format (metric ids are
 * indices into it), so new metrics are appended, never inserted.
 */
export const CAPACITY_METRICS = ['cpu', 'memory', 'netIo', 'diskIo', 'connections', 'latency'] as const;

export type CapacityMetric = (typeof CAPACITY_METRICS)[number];

/** Default HostSample.metrics names (overridable in the processor options). */
export const DEFAULT_METRIC_NAMES: Readonly<Record<CapacityMetric, string>> = {
  cpu: 'cpu.utilization',
  memory: 'memory.utilization',
  netIo: 'network.io.bytes_per_sec',
  diskIo: 'disk.io.bytes_per_sec',
  connections: 'connections.active',
  latency: 'request.latency.ms',
};

/** Sample tags naming the service and the instance a sample belongs to. */
export const SERVICE_TAG = 'service';
export const INSTANCE_TAG = 'instance';
