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

/**
 * Partition counts. Metric-volume topics get more partitions so processes can scale out (WIDE);
 * the rest NARROW — except topics an app reads together with a WIDE one, which must be WIDE too.
 *
 * Co-partitioning: our runtime runs a topology as one sub-topology — task N owns partition N of
 * every source topic and every store changelog (streams/runtime/co-partition.ts) — so all external
 * sources of one app must have the same partition count, or the app refuses to start. Kafka
 * Streams asks this only of topics joined with each other (same key, same count, same
 * partitioner): our host-keyed joins are exactly that (failure-risk joins host.failures with
 * metrics.samples in one per-host store; region-health looks up a failure's region from the
 * host's last health.risk), so host.failures is WIDE, as a Kafka Streams user would make it.
 * Kafka Streams would instead let a re-keyed input keep its own count, since its repartition topic
 * starts a new sub-topology; ours has no sub-topologies, so deployments (re-keyed by host inside
 * failure-risk) is WIDE as well, and with it region.capacity and region.dependencies, which
 * shadow-region reads together with deployments. The groups, by app:
 *   failure-risk:   metrics.samples, host.failures, deployments
 *   region-health:  health.risk, host.failures
 *   shadow-region:  region.capacity, region.dependencies, deployments
 *   failover-orchestrator: region.blueprints, region.health, operator.requests, actuation.results
 *   dependency-map: topology.configs, topology.discovery, topology.flows, topology.spans
 * (test/streams/co-partition.test.ts builds every app's topology and checks it against these counts.)
 *
 * Raising a count: `foreshadow topics` (and `npm start`) raise the partitions of existing topics
 * to the catalogue's, never lower them (Kafka cannot). Raising a keyed topic remaps its keys
 * (murmur2(key) mod count; from 3 to 6, half of the keys move): records written before the raise
 * stay in their old partition and newer ones go to the new one, so a moved key's history spans two
 * partitions and two stream tasks, and per-key order across the raise is lost. On a compacted
 * topic a moved key's last pre-raise value stays in the old partition for good (a later value or
 * tombstone lands in the new one), so a table rebuilt from it can end on the stale value: for the
 * compacted tables (deployments, region.capacity, region.dependencies) delete and recreate the
 * topic and republish rather than raise it in place, or tombstone moved keys in their old
 * partitions. Apps reading a raised topic must also be reset (stopped, their `<applicationId>-*`
 * changelog and repartition topics deleted, restarted to rebuild state): those keep the old count.
 */
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
    partitions: WIDE,
    cleanup: 'delete',
    retentionMs: 30 * DAY,
    valueSchema: 'host-failure',
    key: 'host',
    doc: 'Observed host failures (labels for the learned model; failover trigger). Wide: joined by host with metrics.samples and health.risk.',
  },
  {
    name: 'deployments',
    partitions: WIDE,
    cleanup: 'compact',
    valueSchema: 'deployment',
    key: 'resourceId',
    doc: 'Table: resources, where they run, their criticality and last deployment outcome. Wide: read with metrics.samples by failure-risk.',
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
    partitions: WIDE,
    cleanup: 'compact',
    valueSchema: 'capacity-fingerprint',
    key: 'region',
    doc: 'Capacity fingerprints per region. Wide: read with deployments by shadow-region.',
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
    partitions: WIDE,
    cleanup: 'compact',
    valueSchema: 'dependency-dag',
    key: 'region',
    doc: 'Service dependency DAG per region. Wide: read with deployments by shadow-region.',
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
