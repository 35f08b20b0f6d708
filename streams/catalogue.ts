/**
 * The topic catalogue: every topic Foreshadow reads or writes, its key, value schema, partitions
 * and cleanup policy. The `topics` command creates it; the `schemas` command registers the value
 * schemas under `<topic>-value`; the README's topic table is this list.
 */
import { DEAD_LETTER_SUFFIX, deadLetterTopic } from './runtime/dead-letter.js';

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

export interface TopicSpec {
  name: string;
  partitions: number;
  cleanup: CleanupPolicy;
  /** Retention for delete-policy topics; undefined keeps the broker default. */
  retentionMs?: number;
  /** Avro schema file in schemas/ (without .avsc); absent for raw multi-format input topics. */
  valueSchema?: string;
  /** What the record key is. */
  key: string;
  doc: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Metric-volume topics get more partitions so processes can scale out. */
const WIDE = 6;
const NARROW = 3;

export const TOPICS: readonly TopicSpec[] = [
  {
    name: 'metrics.raw',
    partitions: WIDE,
    cleanup: 'delete',
    retentionMs: 3 * DAY,
    key: 'host (may be absent)',
    doc: 'Raw metrics from agents in any supported format: Avro HostSample, JSON, InfluxDB line protocol (Telegraf), collectd write_kafka JSON, OTLP JSON/protobuf.',
  },
  {
    name: 'metrics.samples',
    partitions: WIDE,
    cleanup: 'delete',
    retentionMs: 3 * DAY,
    valueSchema: 'host-sample',
    key: 'host',
    doc: 'Canonical host samples.',
  },
  {
    name: 'health.baselines',
    partitions: WIDE,
    cleanup: 'compact',
    valueSchema: 'host-baseline',
    key: 'host',
    doc: 'Per-host health baselines.',
  },
  {
    name: 'health.risk',
    partitions: WIDE,
    cleanup: 'delete',
    retentionMs: 7 * DAY,
    valueSchema: 'host-risk',
    key: 'host',
    doc: 'Failure probability per host with evidence.',
  },
  {
    name: 'host.failures',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 30 * DAY,
    valueSchema: 'host-failure',
    key: 'host',
    doc: 'Observed host failures (labels for the learned model; failover trigger).',
  },
  {
    name: 'deployments',
    partitions: NARROW,
    cleanup: 'compact',
    valueSchema: 'deployment',
    key: 'resourceId',
    doc: 'Table: resources, where they run, their criticality and last deployment outcome.',
  },
  {
    name: 'hosts',
    partitions: NARROW,
    cleanup: 'compact',
    valueSchema: 'host',
    key: 'host',
    doc: 'Table: host capacity, failure domain and state.',
  },
  {
    name: 'region.capacity',
    partitions: NARROW,
    cleanup: 'compact',
    valueSchema: 'capacity-fingerprint',
    key: 'region',
    doc: 'Capacity fingerprints per region.',
  },
  {
    name: 'topology.configs',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 7 * DAY,
    key: 'service',
    doc: 'Evidence: application configuration snapshots (JSON envelope around JSON/YAML/env text).',
  },
  {
    name: 'topology.discovery',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 7 * DAY,
    key: 'service',
    doc: 'Evidence: service-discovery registrations (Consul catalog / Kubernetes Endpoints JSON).',
  },
  {
    name: 'topology.flows',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 2 * DAY,
    key: 'source address',
    doc: 'Evidence: network flow records (JSON).',
  },
  {
    name: 'topology.spans',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 2 * DAY,
    key: 'trace id',
    doc: 'Evidence: trace spans (Zipkin v2 JSON or OTLP JSON).',
  },
  {
    name: 'region.dependencies',
    partitions: NARROW,
    cleanup: 'compact',
    valueSchema: 'dependency-dag',
    key: 'region',
    doc: 'Service dependency DAG per region.',
  },
  {
    name: 'region.blueprints',
    partitions: NARROW,
    cleanup: 'compact',
    valueSchema: 'shadow-blueprint',
    key: 'primary region',
    doc: 'Shadow-region blueprints.',
  },
  {
    name: 'region.health',
    partitions: NARROW,
    cleanup: 'compact',
    valueSchema: 'region-health',
    key: 'region',
    doc: 'Region health status.',
  },
  {
    name: 'operator.requests',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 30 * DAY,
    valueSchema: 'operator-request',
    key: 'resourceId or region',
    doc: 'Operating calls from the HTTP API.',
  },
  {
    name: 'shadow.commands',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 7 * DAY,
    valueSchema: 'shadow-command',
    key: 'resourceId',
    doc: 'Commands for actuators on per-resource shadows.',
  },
  {
    name: 'shadow.state',
    partitions: NARROW,
    cleanup: 'compact',
    valueSchema: 'shadow-state',
    key: 'resourceId',
    doc: 'Shadow lifecycle state per resource.',
  },
  {
    name: 'failover.commands',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 7 * DAY,
    valueSchema: 'failover-command',
    key: 'primary region',
    doc: 'Region failover steps for actuators.',
  },
  {
    name: 'failover.events',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 90 * DAY,
    valueSchema: 'failover-event',
    key: 'host or region',
    doc: 'Failover log with timings.',
  },
  {
    name: 'actuation.results',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 7 * DAY,
    valueSchema: 'actuation-result',
    key: 'resourceId or region',
    doc: 'Outcomes of actuator commands.',
  },
  {
    name: 'actuation.ledger',
    partitions: NARROW,
    cleanup: 'compact',
    key: '<provider>/<subject>',
    doc: "Actuators' durable memory: idempotency keys and the last applied epoch per resource (JSON), shared by whichever instance owns the partition.",
  },
  {
    name: 'audit.api',
    partitions: 1,
    cleanup: 'delete',
    retentionMs: 90 * DAY,
    valueSchema: 'api-audit',
    key: 'principal',
    doc: 'Audit trail of operating API calls.',
  },
];

/** Input topics whose bad records are dead-lettered to `<topic>.dlq` (raw bytes + reason headers). */
export { DEAD_LETTER_SUFFIX, deadLetterTopic };

export const DEAD_LETTER_TOPICS: readonly TopicSpec[] = TOPICS.map((t) => ({
  name: deadLetterTopic(t.name),
  partitions: 1,
  cleanup: 'delete' as const,
  retentionMs: 14 * DAY,
  key: 'key of the bad record',
  doc: `Records from ${t.name} that could not be deserialised or processed; headers carry the reason.`,
}));

export function topicSpec(name: string): TopicSpec {
  const spec = [...TOPICS, ...DEAD_LETTER_TOPICS].find((t) => t.name === name);
  if (!spec) throw new Error(`unknown topic ${name}`);
  return spec;
}

/** The README's topic table, generated from this catalogue so the two cannot drift apart. */
export function topicTableMarkdown(): string {
  const rows = TOPICS.map((t) => {
    const retention = t.retentionMs === undefined ? '' : `${Math.round(t.retentionMs / 86_400_000)} d`;
    const schema = t.valueSchema ? `\`${t.valueSchema}.avsc\`` : 'raw (multi-format)';
    return `| \`${t.name}\` | ${t.key} | ${schema} | ${t.partitions} | ${t.cleanup} ${retention} | ${t.doc} |`;
  });
  return [
    '| topic | key | value | partitions | cleanup | what |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
