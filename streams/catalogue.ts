/**
 * The topic catalogue: every topic Foreshadow reads or writes, its key, value schema, partitions
 * and cleanup policy. The `topics` command creates it; the `schemas` command registers the value
 * schemas under `<topic>-value`; the README's topic table is this list.
 */
import type { RecordDefinition } from '../schemas/record.js';
import { ACTUATION_RESULT_RECORD } from '../schemas/records/actuation-result.js';
import { ALERT_EVIDENCE_RECORD } from '../schemas/records/alert-evidence.js';
import { API_AUDIT_RECORD } from '../schemas/records/api-audit.js';
import { CAPACITY_FINGERPRINT_RECORD } from '../schemas/records/capacity-fingerprint.js';
import { CONTROL_STATE_RECORD } from '../schemas/records/control-state.js';
import { DEPENDENCY_DAG_RECORD } from '../schemas/records/dependency-dag.js';
import { DEPLOYMENT_RECORD } from '../schemas/records/deployment.js';
import { FAILOVER_COMMAND_RECORD } from '../schemas/records/failover-command.js';
import { FAILOVER_EVENT_RECORD } from '../schemas/records/failover-event.js';
import { HOST_RECORD } from '../schemas/records/host.js';
import { HOST_BASELINE_RECORD } from '../schemas/records/host-baseline.js';
import { HOST_FAILURE_RECORD } from '../schemas/records/host-failure.js';
import { HOST_RISK_RECORD } from '../schemas/records/host-risk.js';
import { HOST_SAMPLE_RECORD } from '../schemas/records/host-sample.js';
import { OPERATOR_REQUEST_RECORD } from '../schemas/records/operator-request.js';
import { REGION_FAILOVER_STATUS_RECORD } from '../schemas/records/region-failover-status.js';
import { REGION_HEALTH_RECORD } from '../schemas/records/region-health.js';
import { RESOURCE_PROBE_RECORD } from '../schemas/records/resource-probe.js';
import { SHADOW_BLUEPRINT_RECORD } from '../schemas/records/shadow-blueprint.js';
import { SHADOW_COMMAND_RECORD } from '../schemas/records/shadow-command.js';
import { SHADOW_STATE_RECORD } from '../schemas/records/shadow-state.js';
import { DEAD_LETTER_SUFFIX, deadLetterTopic } from './runtime/dead-letter.js';

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

export interface TopicSpec {
  name: string;
  partitions: number;
  cleanup: CleanupPolicy;
  /** Retention for delete-policy topics; undefined keeps the broker default. */
  retentionMs?: number;
  /**
   * The value's record type (schemas/records/<file>.ts: its Avro schema, TypeScript type and
   * checks), registered as `<topic>-value`; absent for raw multi-format input topics.
   */
  value?: RecordDefinition;
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

const CATALOGUE = {
  rawMetrics: {
    name: 'metrics.raw',
    partitions: WIDE,
    cleanup: 'delete',
    retentionMs: 3 * DAY,
    key: 'host (may be absent)',
    doc: 'Raw metrics from agents in any supported format: Avro HostSample, JSON, InfluxDB line protocol (Telegraf), collectd write_kafka JSON, OTLP JSON/protobuf.',
  },
  samples: {
    name: 'metrics.samples',
    partitions: WIDE,
    cleanup: 'delete',
    retentionMs: 3 * DAY,
    value: HOST_SAMPLE_RECORD,
    key: 'host',
    doc: 'Canonical host samples.',
  },
  baselines: {
    name: 'health.baselines',
    partitions: WIDE,
    cleanup: 'compact',
    value: HOST_BASELINE_RECORD,
    key: 'host',
    doc: 'Per-host health baselines.',
  },
  risk: {
    name: 'health.risk',
    partitions: WIDE,
    cleanup: 'delete',
    retentionMs: 7 * DAY,
    value: HOST_RISK_RECORD,
    key: 'host',
    doc: 'Failure probability per host with evidence.',
  },
  failures: {
    name: 'host.failures',
    partitions: WIDE,
    cleanup: 'delete',
    retentionMs: 30 * DAY,
    value: HOST_FAILURE_RECORD,
    key: 'host',
    doc: 'Observed host failures, or of one resource on a host (resourceId set): labels for the learned model; failover trigger. From the failure detector, alerts, operators, heartbeat loss. Wide: joined by host with metrics.samples and health.risk.',
  },
  probes: {
    name: 'resource.probes',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: DAY,
    value: RESOURCE_PROBE_RECORD,
    key: 'resourceId',
    doc: 'Probes of resources (Redis PING + ROLE, TCP connect) from several vantage points; the failure detector publishes host.failures on a quorum of them.',
  },
  alerts: {
    name: 'alerts',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 30 * DAY,
    value: ALERT_EVIDENCE_RECORD,
    key: 'host',
    doc: 'Evidence: Alertmanager alerts received on POST /alerts (firing and resolved); those matched as failures also became host.failures records.',
  },
  deployments: {
    name: 'deployments',
    partitions: WIDE,
    cleanup: 'compact',
    value: DEPLOYMENT_RECORD,
    key: 'resourceId',
    doc: 'Table: resources, where they run, their criticality and last deployment outcome. Wide: read with metrics.samples by failure-risk.',
  },
  hosts: {
    name: 'hosts',
    partitions: NARROW,
    cleanup: 'compact',
    value: HOST_RECORD,
    key: 'host',
    doc: 'Table: host capacity, failure domain and state.',
  },
  capacity: {
    name: 'region.capacity',
    partitions: WIDE,
    cleanup: 'compact',
    value: CAPACITY_FINGERPRINT_RECORD,
    key: 'region',
    doc: 'Capacity fingerprints per region. Wide: read with deployments by shadow-region.',
  },
  configs: {
    name: 'topology.configs',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 7 * DAY,
    key: 'service',
    doc: 'Evidence: application configuration snapshots (JSON envelope around JSON/YAML/env text).',
  },
  discovery: {
    name: 'topology.discovery',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 7 * DAY,
    key: 'service',
    doc: 'Evidence: service-discovery registrations (Consul catalog / Kubernetes Endpoints JSON).',
  },
  flows: {
    name: 'topology.flows',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 2 * DAY,
    key: 'source address',
    doc: 'Evidence: network flow records (JSON).',
  },
  spans: {
    name: 'topology.spans',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 2 * DAY,
    key: 'trace id',
    doc: 'Evidence: trace spans (Zipkin v2 JSON or OTLP JSON).',
  },
  dependencies: {
    name: 'region.dependencies',
    partitions: WIDE,
    cleanup: 'compact',
    value: DEPENDENCY_DAG_RECORD,
    key: 'region',
    doc: 'Service dependency DAG per region. Wide: read with deployments by shadow-region.',
  },
  blueprints: {
    name: 'region.blueprints',
    partitions: NARROW,
    cleanup: 'compact',
    value: SHADOW_BLUEPRINT_RECORD,
    key: 'primary region',
    doc: 'Shadow-region blueprints.',
  },
  regionHealth: {
    name: 'region.health',
    partitions: NARROW,
    cleanup: 'compact',
    value: REGION_HEALTH_RECORD,
    key: 'region',
    doc: 'Region health status.',
  },
  operatorRequests: {
    name: 'operator.requests',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 30 * DAY,
    value: OPERATOR_REQUEST_RECORD,
    key: 'resourceId or region',
    doc: 'Operating calls from the HTTP API.',
  },
  shadowCommands: {
    name: 'shadow.commands',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 7 * DAY,
    value: SHADOW_COMMAND_RECORD,
    key: 'resourceId',
    doc: 'Commands for actuators on per-resource shadows.',
  },
  shadowState: {
    name: 'shadow.state',
    partitions: NARROW,
    cleanup: 'compact',
    value: SHADOW_STATE_RECORD,
    key: 'resourceId',
    doc: 'Shadow lifecycle state per resource.',
  },
  failoverCommands: {
    name: 'failover.commands',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 7 * DAY,
    value: FAILOVER_COMMAND_RECORD,
    key: 'primary region',
    doc: 'Region failover steps for actuators.',
  },
  failoverEvents: {
    name: 'failover.events',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 90 * DAY,
    value: FAILOVER_EVENT_RECORD,
    key: 'host or region',
    doc: 'Failover log with timings.',
  },
  actuationResults: {
    name: 'actuation.results',
    partitions: NARROW,
    cleanup: 'delete',
    retentionMs: 7 * DAY,
    value: ACTUATION_RESULT_RECORD,
    key: 'resourceId or region',
    doc: 'Outcomes of actuator commands.',
  },
  actuationLedger: {
    name: 'actuation.ledger',
    partitions: NARROW,
    cleanup: 'compact',
    key: '<provider>/<subject>',
    doc: "Actuators' durable memory: idempotency keys and the last applied epoch per resource (JSON), shared by whichever instance owns the partition.",
  },
  controlState: {
    name: 'control.state',
    partitions: 1,
    cleanup: 'compact',
    value: CONTROL_STATE_RECORD,
    key: 'control id (`pause` or a window id)',
    doc: 'Safety controls in force: the global pause and maintenance windows per host or region, as the shadow manager applied them.',
  },
  regionFailovers: {
    name: 'region.failovers',
    partitions: NARROW,
    cleanup: 'compact',
    value: REGION_FAILOVER_STATUS_RECORD,
    key: 'primary region',
    doc: "Where each region's latest real failover stands (PENDING_APPROVAL until an operator approves it).",
  },
  audit: {
    name: 'audit.api',
    partitions: 1,
    cleanup: 'delete',
    retentionMs: 90 * DAY,
    value: API_AUDIT_RECORD,
    key: 'principal',
    doc: 'Audit trail of operating API calls.',
  },
} as const satisfies Record<string, TopicSpec>;

export const TOPICS: readonly TopicSpec[] = Object.values(CATALOGUE);

// Every topic name in the code comes from here.
export const RAW_METRICS_TOPIC = CATALOGUE.rawMetrics.name;
export const SAMPLES_TOPIC = CATALOGUE.samples.name;
export const BASELINES_TOPIC = CATALOGUE.baselines.name;
export const RISK_TOPIC = CATALOGUE.risk.name;
export const FAILURES_TOPIC = CATALOGUE.failures.name;
export const PROBES_TOPIC = CATALOGUE.probes.name;
export const ALERTS_TOPIC = CATALOGUE.alerts.name;
export const DEPLOYMENTS_TOPIC = CATALOGUE.deployments.name;
export const HOSTS_TOPIC = CATALOGUE.hosts.name;
export const CAPACITY_TOPIC = CATALOGUE.capacity.name;
export const CONFIGS_TOPIC = CATALOGUE.configs.name;
export const DISCOVERY_TOPIC = CATALOGUE.discovery.name;
export const FLOWS_TOPIC = CATALOGUE.flows.name;
export const SPANS_TOPIC = CATALOGUE.spans.name;
export const DEPENDENCIES_TOPIC = CATALOGUE.dependencies.name;
export const BLUEPRINTS_TOPIC = CATALOGUE.blueprints.name;
export const REGION_HEALTH_TOPIC = CATALOGUE.regionHealth.name;
export const OPERATOR_REQUESTS_TOPIC = CATALOGUE.operatorRequests.name;
export const SHADOW_COMMANDS_TOPIC = CATALOGUE.shadowCommands.name;
export const SHADOW_STATE_TOPIC = CATALOGUE.shadowState.name;
export const FAILOVER_COMMANDS_TOPIC = CATALOGUE.failoverCommands.name;
export const FAILOVER_EVENTS_TOPIC = CATALOGUE.failoverEvents.name;
export const ACTUATION_RESULTS_TOPIC = CATALOGUE.actuationResults.name;
export const ACTUATION_LEDGER_TOPIC = CATALOGUE.actuationLedger.name;
export const CONTROL_STATE_TOPIC = CATALOGUE.controlState.name;
export const REGION_FAILOVERS_TOPIC = CATALOGUE.regionFailovers.name;
export const AUDIT_TOPIC = CATALOGUE.audit.name;

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
    const schema = t.value ? `\`${t.value.file}.avsc\`` : 'raw (multi-format)';
    return `| \`${t.name}\` | ${t.key} | ${schema} | ${t.partitions} | ${t.cleanup} ${retention} | ${t.doc} |`;
  });
  return [
    '| topic | key | value | partitions | cleanup | what |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
