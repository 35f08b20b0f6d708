/**
 * Valid records for every input topic of the pipeline, and the schema-valid but absurd variants
 * the fuzz sends next to them (NaN, Infinity, negative and out-of-range numbers, empty ids, unknown
 * names in plain-string enums, timestamps far in the future or past). Each record carries a
 * `marker` (unique per record) in the field that keys its effect downstream, so the test can tell
 * which record an app's output or state came from. Variants made with `absurd` must be turned away
 * by every consumer (the record validators of streams/validation guarantee it); the others may be
 * either turned away or processed.
 */
import { encodeFingerprint } from '../../streams/processors/capacity-fingerprint/fingerprint-codec.js';

type Rec = Record<string, unknown>;

/** Avro schema file (schemas/<name>.avsc) or one of the JSON evidence formats. */
export type TopicFormat = { avro: string } | { json: 'config' | 'discovery' | 'flow' | 'span' | 'ledger' };

export interface SemanticVariant {
  kind:
    | 'nan'
    | 'infinity'
    | 'negative'
    | 'out-of-range'
    | 'far-future'
    | 'far-past'
    | 'empty-id'
    | 'unknown-name'
    | 'inconsistent';
  patch: (r: Rec) => Rec;
  /** `reject`: every consumer must dead-letter (or, a view, skip) it; default `either`. */
  expect?: 'reject' | 'either';
}

/** A variant every consumer must turn away. */
const absurd = (kind: SemanticVariant['kind'], patch: (r: Rec) => Rec): SemanticVariant => ({
  kind,
  patch,
  expect: 'reject',
});

export interface TopicRecords {
  /** Catalogue name (streams/catalogue.ts). */
  topic: string;
  format: TopicFormat;
  compacted: boolean;
  /** A valid value whose identity is `marker`; `key` is the record key it travels under. */
  good(marker: string, now: number): { key: string; value: Rec | unknown[] };
  semantic: SemanticVariant[];
}

/** Year 2999 and 1971: far outside any sane event time. */
export const FAR_FUTURE = Date.UTC(2999, 0, 1);
export const FAR_PAST = Date.UTC(1971, 0, 1);

/**
 * Year 2999 is beyond the broker's future bound and refused by the validators; 1971 is only old
 * (replays and simulations start in the past), so it may be processed.
 */
const timestamps = (field: string): SemanticVariant[] => [
  absurd('far-future', (r) => ({ ...r, [field]: FAR_FUTURE })),
  { kind: 'far-past', patch: (r) => ({ ...r, [field]: FAR_PAST }) },
];

const region = (m: string): string => `r-${m}`;

function fingerprintBytes(regionName: string, now: number): Buffer {
  return encodeFingerprint({
    region: regionName,
    windowStart: now - 900_000,
    windowEnd: now,
    halfLivesMs: [60_000],
    hostCount: 1,
    instanceCount: 1,
    sampleCount: 1,
    metrics: {},
    services: [],
  });
}

function dagText(regionName: string, now: number): string {
  return JSON.stringify({
    format: 'foreshadow.dag/v1',
    region: regionName,
    version: 1,
    generatedAt: now,
    nodes: [{ id: 'svc-a', group: 'svc-a', level: 0 }],
    edges: [],
    groups: [{ id: 'svc-a', services: ['svc-a'], level: 0, cyclic: false, dependsOn: [] }],
    cycles: [],
    levels: [['svc-a']],
  });
}

const baselineMetric = {
  mean: 0.3,
  stddev: 0.05,
  median: 0.3,
  mad: 0.03,
  p50: 0.3,
  p95: 0.4,
  p99: 0.45,
  seasonalMedian: null,
  count: 100,
  warm: true,
};

const blueprintService = {
  service: 'svc-a',
  instances: 1,
  cpuPerInstance: 1,
  memoryMbPerInstance: 512,
  configRef: '',
  launchLevel: 0,
  launchGroup: 'svc-a',
  dependsOn: [],
  ports: [80],
  lbPools: [],
  dnsNames: [],
  replicationSources: [],
};

export const TOPIC_RECORDS: readonly TopicRecords[] = [
  {
    topic: 'metrics.samples',
    format: { avro: 'host-sample' },
    compacted: false,
    good: (m, now) => ({
      key: m,
      value: {
        host: m,
        region: region(m),
        zone: 'z1',
        timestamp: now,
        metrics: { 'cpu.utilization': 0.3, 'mem.utilization': 0.4 },
        tags: {},
        source: 'fuzz',
      },
    }),
    semantic: [
      absurd('nan', (r) => ({ ...r, metrics: { 'cpu.utilization': Number.NaN } })),
      absurd('infinity', (r) => ({ ...r, metrics: { 'mem.utilization': Number.POSITIVE_INFINITY } })),
      absurd('negative', (r) => ({ ...r, metrics: { 'cpu.utilization': -0.5 } })),
      absurd('negative', (r) => ({ ...r, metrics: { 'net.rx_bytes_per_sec': -10 } })),
      // A percentage where the canonical unit is a fraction.
      absurd('out-of-range', (r) => ({ ...r, metrics: { 'cpu.utilization': 87.5 } })),
      absurd('empty-id', (r) => ({ ...r, host: '' })),
      ...timestamps('timestamp'),
    ],
  },
  {
    topic: 'health.baselines',
    format: { avro: 'host-baseline' },
    compacted: true,
    good: (m, now) => ({
      key: m,
      value: {
        host: m,
        region: region(m),
        zone: 'z1',
        timestamp: now,
        warm: true,
        sampleCount: 100,
        metrics: { 'cpu.utilization': baselineMetric },
      },
    }),
    semantic: [
      absurd('nan', (r) => ({
        ...r,
        metrics: {
          'cpu.utilization': {
            mean: Number.NaN,
            stddev: 0,
            median: Number.NaN,
            mad: 0,
            p50: 0,
            p95: 0,
            p99: 0,
            seasonalMedian: null,
            count: 1,
            warm: true,
          },
        },
      })),
      absurd('negative', (r) => ({ ...r, sampleCount: -5 })),
      absurd('negative', (r) => ({ ...r, metrics: { 'cpu.utilization': { ...baselineMetric, stddev: -0.1 } } })),
      absurd('infinity', (r) => ({
        ...r,
        metrics: { 'cpu.utilization': { ...baselineMetric, p99: Number.POSITIVE_INFINITY } },
      })),
      absurd('empty-id', (r) => ({ ...r, host: '' })),
      ...timestamps('timestamp'),
    ],
  },
  {
    topic: 'health.risk',
    format: { avro: 'host-risk' },
    compacted: false,
    good: (m, now) => ({
      key: m,
      value: {
        host: m,
        region: region(m),
        zone: 'z1',
        timestamp: now,
        horizonMs: 3_600_000,
        pFail: 0.02,
        level: 'OK',
        trend: 0,
        rising: false,
        deviating: false,
        deviationScore: 0,
        timeToFailureMs: null,
        drivers: [],
        modelVersion: 'fuzz',
      },
    }),
    semantic: [
      absurd('nan', (r) => ({ ...r, pFail: Number.NaN })),
      absurd('infinity', (r) => ({ ...r, deviationScore: Number.POSITIVE_INFINITY })),
      absurd('negative', (r) => ({ ...r, horizonMs: -1 })),
      absurd('negative', (r) => ({ ...r, timeToFailureMs: -60_000 })),
      absurd('out-of-range', (r) => ({ ...r, pFail: 7 })),
      absurd('nan', (r) => ({ ...r, drivers: [{ feature: 'cpu', value: Number.NaN, contribution: 0.1 }] })),
      absurd('empty-id', (r) => ({ ...r, host: '' })),
      ...timestamps('timestamp'),
    ],
  },
  {
    topic: 'hosts',
    format: { avro: 'host' },
    compacted: true,
    good: (m, now) => ({
      key: m,
      value: {
        host: m,
        region: region(m),
        zone: 'z1',
        rack: 'k1',
        address: '10.0.0.1',
        cpuCores: 8,
        memoryMb: 16_384,
        state: 'UP',
        labels: {},
        updatedAt: now,
      },
    }),
    semantic: [
      absurd('nan', (r) => ({ ...r, cpuCores: Number.NaN })),
      absurd('infinity', (r) => ({ ...r, cpuCores: Number.POSITIVE_INFINITY })),
      absurd('negative', (r) => ({ ...r, memoryMb: -1 })),
      absurd('empty-id', (r) => ({ ...r, host: '' })),
      ...timestamps('updatedAt'),
    ],
  },
  {
    topic: 'deployments',
    format: { avro: 'deployment' },
    compacted: true,
    good: (m, now) => ({
      key: m,
      value: {
        resourceId: m,
        kind: 'redis',
        service: 'svc-a',
        host: `h-${m}`,
        region: region(m),
        zone: 'z1',
        rack: 'k1',
        tier: 'HIGH',
        config: {},
        configRef: '',
        replication: true,
        address: '10.0.0.1:6379',
        cpu: 1,
        memoryMb: 512,
        outcome: 'SUCCEEDED',
        deployedAt: now,
      },
    }),
    semantic: [
      absurd('nan', (r) => ({ ...r, cpu: Number.NaN })),
      absurd('infinity', (r) => ({ ...r, cpu: Number.POSITIVE_INFINITY })),
      absurd('negative', (r) => ({ ...r, memoryMb: -512 })),
      absurd('empty-id', (r) => ({ ...r, resourceId: '' })),
      ...timestamps('deployedAt'),
    ],
  },
  {
    topic: 'host.failures',
    format: { avro: 'host-failure' },
    compacted: false,
    good: (m, now) => ({
      key: m,
      value: { host: m, region: region(m), timestamp: now, kind: 'CRASH', source: 'fuzz', detail: '' },
    }),
    semantic: [
      absurd('negative', (r) => ({ ...r, timestamp: -5 })),
      absurd('empty-id', (r) => ({ ...r, host: '' })),
      ...timestamps('timestamp'),
    ],
  },
  {
    topic: 'resource.probes',
    format: { avro: 'resource-probe' },
    compacted: false,
    good: (m, now) => ({
      key: m,
      value: {
        resourceId: m,
        host: `h-${m}`,
        region: region(m),
        kind: 'redis',
        address: '127.0.0.1:6379',
        vantage: 'fuzz',
        method: 'REDIS_ROLE',
        outcome: 'OK',
        expectedRole: 'master',
        observedRole: 'master',
        startedAt: now - 2,
        timestamp: now,
        latencyMs: 2,
        intervalMs: 1_000,
        downAfterMs: 1_000,
        detail: '',
      },
    }),
    semantic: [
      absurd('negative', (r) => ({ ...r, latencyMs: -1 })),
      absurd('out-of-range', (r) => ({ ...r, downAfterMs: 0 })),
      absurd('inconsistent', (r) => ({ ...r, startedAt: (r.timestamp as number) + 1_000 })),
      absurd('empty-id', (r) => ({ ...r, vantage: '' })),
      ...timestamps('timestamp'),
    ],
  },
  {
    topic: 'alerts',
    format: { avro: 'alert-evidence' },
    compacted: false,
    good: (m, now) => ({
      key: `h-${m}`,
      value: {
        alertId: m,
        alertname: 'FuzzAlert',
        status: 'FIRING',
        host: `h-${m}`,
        resourceId: '',
        region: region(m),
        severity: 'warning',
        failure: false,
        summary: '',
        labels: { alertname: 'FuzzAlert' },
        startsAt: now - 60_000,
        endsAt: null,
        receiver: 'foreshadow',
        generatorURL: '',
        receivedAt: now,
      },
    }),
    semantic: [
      absurd('empty-id', (r) => ({ ...r, host: '' })),
      absurd('negative', (r) => ({ ...r, startsAt: -1 })),
      ...timestamps('receivedAt'),
    ],
  },
  {
    topic: 'topology.configs',
    format: { json: 'config' },
    compacted: false,
    good: (m) => ({
      key: `svc-${m}`,
      value: { service: `svc-${m}`, region: region(m), format: 'env', content: 'DB_URL=postgres://db-main:5432/app' },
    }),
    semantic: [],
  },
  {
    topic: 'topology.discovery',
    format: { json: 'discovery' },
    compacted: false,
    good: (m) => ({
      key: `svc-${m}`,
      value: { ServiceName: `svc-${m}`, Address: '10.0.0.7', ServicePort: 8080, Datacenter: region(m) },
    }),
    semantic: [
      absurd('negative', (r) => ({ ...r, ServicePort: -80 })),
      absurd('out-of-range', (r) => ({ ...r, ServicePort: 70_000 })),
    ],
  },
  {
    topic: 'topology.flows',
    format: { json: 'flow' },
    compacted: false,
    good: (m, now) => ({
      key: '10.0.0.7',
      value: {
        srcAddr: '10.0.0.7',
        dstAddr: '10.0.0.8',
        dstPort: 5432,
        bytes: 1200,
        region: region(m),
        timestamp: now,
      },
    }),
    semantic: [
      absurd('negative', (r) => ({ ...r, bytes: -1200 })),
      absurd('out-of-range', (r) => ({ ...r, dstPort: 99_999 })),
      ...timestamps('timestamp'),
    ],
  },
  {
    topic: 'topology.spans',
    format: { json: 'span' },
    compacted: false,
    good: (m) => ({
      key: `trace-${m}`,
      value: {
        region: region(m),
        spans: [
          { id: 'a1', localEndpoint: { serviceName: 'svc-web' } },
          { id: 'b2', parentId: 'a1', localEndpoint: { serviceName: 'svc-db' } },
        ],
      },
    }),
    semantic: [],
  },
  {
    topic: 'region.capacity',
    format: { avro: 'capacity-fingerprint' },
    compacted: true,
    good: (m, now) => ({
      key: m,
      value: {
        region: m,
        version: 1,
        formatVersion: 1,
        windowStart: now - 900_000,
        windowEnd: now,
        hostCount: 1,
        instanceCount: 1,
        serviceCount: 0,
        encoded: fingerprintBytes(m, now),
        emittedAt: now,
      },
    }),
    semantic: [
      absurd('negative', (r) => ({ ...r, hostCount: -3 })),
      // The fingerprint bytes of another format version: undecodable by design.
      { kind: 'out-of-range', patch: (r) => ({ ...r, encoded: Buffer.from([0xee, 1, 2, 3]) }) },
      absurd('inconsistent', (r) => ({ ...r, windowStart: (r.windowEnd as number) + 60_000 })),
      absurd('empty-id', (r) => ({ ...r, region: '' })),
      ...timestamps('emittedAt'),
    ],
  },
  {
    topic: 'region.dependencies',
    format: { avro: 'dependency-dag' },
    compacted: true,
    good: (m, now) => ({
      key: m,
      value: {
        region: m,
        version: 1,
        generatedAt: now,
        nodeCount: 1,
        edgeCount: 0,
        cycleCount: 0,
        levelCount: 1,
        dag: dagText(m, now),
      },
    }),
    semantic: [
      absurd('negative', (r) => ({ ...r, nodeCount: -1 })),
      absurd('negative', (r) => ({ ...r, version: -2 })),
      // The DAG document inside the record is not JSON.
      { kind: 'out-of-range', patch: (r) => ({ ...r, dag: '{"format": "foreshadow.dag/v1", "nodes": [' }) },
      absurd('empty-id', (r) => ({ ...r, region: '' })),
      ...timestamps('generatedAt'),
    ],
  },
  {
    topic: 'region.blueprints',
    format: { avro: 'shadow-blueprint' },
    compacted: true,
    good: (m, now) => ({
      key: m,
      value: {
        primaryRegion: m,
        shadowRegion: `${m}-shadow`,
        version: 1,
        builtAt: now,
        fingerprintVersion: 1,
        dagVersion: 1,
        headroom: 0.2,
        levelCount: 1,
        services: [blueprintService],
      },
    }),
    semantic: [
      absurd('nan', (r) => ({ ...r, headroom: Number.NaN })),
      absurd('infinity', (r) => ({
        ...r,
        services: [{ ...blueprintService, cpuPerInstance: Number.POSITIVE_INFINITY }],
      })),
      absurd('negative', (r) => ({ ...r, services: [{ ...blueprintService, instances: -3 }] })),
      absurd('out-of-range', (r) => ({ ...r, services: [{ ...blueprintService, launchLevel: 1_000_000 }] })),
      absurd('out-of-range', (r) => ({ ...r, services: [{ ...blueprintService, ports: [70_000] }] })),
      absurd('empty-id', (r) => ({ ...r, shadowRegion: '' })),
      ...timestamps('builtAt'),
    ],
  },
  {
    topic: 'region.health',
    format: { avro: 'region-health' },
    compacted: true,
    good: (m, now) => ({
      key: m,
      value: {
        region: m,
        timestamp: now,
        status: 'HEALTHY',
        hostCount: 3,
        hostsAtRisk: 0,
        hostsFailed: 0,
        meanPFail: 0.01,
        reasons: [],
      },
    }),
    semantic: [
      absurd('nan', (r) => ({ ...r, meanPFail: Number.NaN })),
      absurd('infinity', (r) => ({ ...r, meanPFail: Number.POSITIVE_INFINITY })),
      absurd('negative', (r) => ({ ...r, hostCount: -3 })),
      absurd('out-of-range', (r) => ({ ...r, meanPFail: 5 })),
      absurd('inconsistent', (r) => ({ ...r, hostsFailed: 9 })),
      ...timestamps('timestamp'),
    ],
  },
  {
    topic: 'operator.requests',
    format: { avro: 'operator-request' },
    compacted: false,
    // Alternates by marker parity between a shadow request (shadow manager) and a region drill
    // (failover orchestrator), so both readers get records that are theirs.
    good: (m, now) => {
      const region = m.charCodeAt(m.length - 2) % 2 === 0;
      return {
        key: region ? `r-${m}` : `res-${m}`,
        value: {
          requestId: m,
          type: region ? 'REGION_FAILOVER' : 'CREATE_SHADOW',
          subject: region ? `r-${m}` : `res-${m}`,
          targetHost: '',
          dryRun: true,
          principal: 'fuzz',
          requestedAt: now,
        },
      };
    },
    semantic: [
      absurd('negative', (r) => ({ ...r, requestedAt: -1 })),
      absurd('empty-id', (r) => ({ ...r, subject: '' })),
      ...timestamps('requestedAt'),
    ],
  },
  {
    topic: 'actuation.results',
    format: { avro: 'actuation-result' },
    compacted: false,
    good: (m, now) => ({
      key: `res-${m}`,
      value: {
        commandId: m,
        commandType: 'CREATE',
        subject: `res-${m}`,
        provider: 'fuzz',
        epoch: 1,
        status: 'SUCCEEDED',
        retriable: false,
        address: '',
        lagBytes: null,
        lagMs: null,
        durationMs: 5,
        attempt: 1,
        detail: '',
        timestamp: now,
      },
    }),
    semantic: [
      absurd('negative', (r) => ({ ...r, epoch: -1, durationMs: -5 })),
      absurd('negative', (r) => ({ ...r, lagMs: -100 })),
      absurd('out-of-range', (r) => ({ ...r, attempt: -7 })),
      absurd('unknown-name', (r) => ({ ...r, commandType: 'SELF_DESTRUCT' })),
      absurd('empty-id', (r) => ({ ...r, commandId: '' })),
      ...timestamps('timestamp'),
    ],
  },
  {
    topic: 'shadow.commands',
    format: { avro: 'shadow-command' },
    compacted: false,
    good: (m, now) => ({
      key: `res-${m}`,
      value: {
        commandId: m,
        type: 'CREATE',
        resourceId: `res-${m}`,
        kind: 'redis',
        epoch: 1,
        primaryHost: 'h-a',
        primaryAddress: '',
        targetHost: 'h-b',
        targetAddress: '',
        region: 'r-1',
        zone: '',
        tier: 'HIGH',
        priority: 1,
        config: {},
        reason: 'fuzz',
        issuedAt: now,
        attempt: 1,
      },
    }),
    semantic: [
      absurd('nan', (r) => ({ ...r, priority: Number.NaN })),
      absurd('infinity', (r) => ({ ...r, priority: Number.POSITIVE_INFINITY })),
      absurd('negative', (r) => ({ ...r, epoch: -1 })),
      absurd('out-of-range', (r) => ({ ...r, attempt: -1 })),
      absurd('unknown-name', (r) => ({ ...r, tier: 'PLATINUM' })),
      ...timestamps('issuedAt'),
    ],
  },
  {
    topic: 'failover.commands',
    format: { avro: 'failover-command' },
    compacted: false,
    good: (m, now) => ({
      key: `r-${m}`,
      value: {
        commandId: m,
        failoverId: `fo-${m}`,
        type: 'LAUNCH_LEVEL',
        primaryRegion: `r-${m}`,
        shadowRegion: `r-${m}-shadow`,
        epoch: 1,
        blueprintVersion: 1,
        level: 0,
        services: [{ service: 'svc-a', instances: 1, cpuPerInstance: 1, memoryMbPerInstance: 256, configRef: '' }],
        dryRun: true,
        issuedAt: now,
      },
    }),
    semantic: [
      absurd('nan', (r) => ({
        ...r,
        services: [
          { service: 'svc-a', instances: 1, cpuPerInstance: Number.NaN, memoryMbPerInstance: 256, configRef: '' },
        ],
      })),
      absurd('negative', (r) => ({
        ...r,
        services: [{ service: 'svc-a', instances: -4, cpuPerInstance: 1, memoryMbPerInstance: 256, configRef: '' }],
      })),
      absurd('negative', (r) => ({ ...r, epoch: -3 })),
      absurd('out-of-range', (r) => ({ ...r, level: 1_000_000 })),
      absurd('empty-id', (r) => ({ ...r, failoverId: '' })),
      ...timestamps('issuedAt'),
    ],
  },
  {
    topic: 'shadow.state',
    format: { avro: 'shadow-state' },
    compacted: true,
    good: (m, now) => ({
      key: m,
      value: {
        resourceId: m,
        kind: 'redis',
        region: 'r-1',
        primaryHost: 'h-a',
        shadowHost: 'h-b',
        shadowAddress: '',
        state: 'READY',
        epoch: 1,
        tier: 'HIGH',
        priority: 1,
        lagBytes: null,
        lagMs: null,
        attempts: 1,
        reason: '',
        createdAt: now,
        updatedAt: now,
        shadowMs: 0,
      },
    }),
    semantic: [
      absurd('nan', (r) => ({ ...r, priority: Number.NaN })),
      absurd('negative', (r) => ({ ...r, epoch: -2 })),
      absurd('negative', (r) => ({ ...r, lagBytes: -4096 })),
      absurd('unknown-name', (r) => ({ ...r, tier: 'GOLD' })),
      ...timestamps('updatedAt'),
    ],
  },
  {
    topic: 'failover.events',
    format: { avro: 'failover-event' },
    compacted: false,
    good: (m, now) => ({
      key: 'r-1',
      value: {
        eventId: m,
        failoverId: `fo-${m}`,
        scope: 'REGION',
        subject: 'r-1',
        step: 'STARTED',
        resourceId: '',
        fromHost: '',
        toHost: '',
        epoch: 1,
        dryRun: true,
        elapsedMs: 0,
        detail: '',
        timestamp: now,
      },
    }),
    semantic: [
      absurd('negative', (r) => ({ ...r, elapsedMs: -10 })),
      absurd('unknown-name', (r) => ({ ...r, step: 'launch the rockets' })),
      absurd('empty-id', (r) => ({ ...r, eventId: '' })),
      ...timestamps('timestamp'),
    ],
  },
  {
    // Safety controls as the shadow manager applied them; read by the API's read model.
    topic: 'control.state',
    format: { avro: 'control-state' },
    compacted: true,
    good: (m, now) => ({
      key: m,
      value: {
        controlId: m,
        kind: 'MAINTENANCE',
        active: true,
        scope: 'HOST',
        subject: `h-${m}`,
        reason: 'fuzz',
        startsAt: now,
        endsAt: now + 3_600_000,
        principal: 'fuzz',
        requestId: m,
        updatedAt: now,
      },
    }),
    semantic: [
      absurd('negative', (r) => ({ ...r, endsAt: -1 })),
      absurd('empty-id', (r) => ({ ...r, controlId: '' })),
      ...timestamps('updatedAt'),
    ],
  },
  {
    // Where each region's failover stands; read by the API's read model.
    topic: 'region.failovers',
    format: { avro: 'region-failover-status' },
    compacted: true,
    good: (m, now) => ({
      key: m,
      value: {
        region: m,
        status: 'PENDING_APPROVAL',
        failoverId: '',
        epoch: 0,
        step: '',
        trigger: 'fuzz',
        advisory: false,
        since: now,
        updatedAt: now,
        detail: '',
      },
    }),
    semantic: [
      absurd('negative', (r) => ({ ...r, epoch: -3 })),
      absurd('empty-id', (r) => ({ ...r, region: '' })),
      ...timestamps('updatedAt'),
    ],
  },
  {
    // The actuators' memory (JSON, compacted, key <provider>/<subject>): read back by every actuator.
    topic: 'actuation.ledger',
    format: { json: 'ledger' },
    compacted: true,
    good: (m, now) => ({
      key: `fuzz/res-${m}`,
      value: {
        lastEpoch: 1,
        commands: [{ id: m, epoch: 1, status: 'SUCCEEDED', address: '', detail: 'fuzz', at: now }],
      },
    }),
    semantic: [
      { kind: 'negative', patch: (r) => ({ ...r, lastEpoch: -5 }) },
      { kind: 'out-of-range', patch: (r) => ({ ...r, commands: [{ id: 'x', epoch: 1, status: 'BOGUS', at: 0 }] }) },
    ],
  },
];

export function topicRecords(topic: string): TopicRecords {
  const r = TOPIC_RECORDS.find((t) => t.topic === topic);
  if (!r) throw new Error(`no fuzz records for ${topic}`);
  return r;
}
