import { describe, expect, it } from 'vitest';
import { jsonCodec } from '../../../sinks/framework/codec.js';
import { evidenceProblems } from '../../../streams/processors/dependency-map/evidence.js';
import { buildFailoverOrchestratorTopology } from '../../../streams/processors/failover-orchestrator/topology.js';
import { buildHostBaselineTopology } from '../../../streams/processors/host-baseline/topology.js';
import { ForeshadowError } from '../../../streams/runtime/errors.js';
import { jsonSerde } from '../../../streams/runtime/serdes.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';
import { jsonValueSerdes } from '../../../streams/topic-serdes.js';
import { fieldPath, type ValidationClock } from '../../../streams/validation/checks.js';
import {
  recordProblems,
  VALIDATED_TOPICS,
  validatedSerde,
  validateRecord,
} from '../../../streams/validation/topic-validators.js';
import { FAR_FUTURE, TOPIC_RECORDS, topicRecords } from '../../fuzz/topic-records.js';

const NOW = Date.UTC(2026, 10, 24, 12);
const clock: ValidationClock = { now: () => NOW, maxAheadMs: 3_600_000 };
type Rec = Record<string, unknown>;

const good = (topic: string): Rec => topicRecords(topic).good('m1q', NOW).value as Rec;
const problems = (topic: string, value: unknown): string[] => recordProblems(topic, value, clock);

/** Per topic: a field and a patch that makes only that field absurd. */
const ABSURD: Record<string, [field: string, patch: (r: Rec) => Rec][]> = {
  'metrics.samples': [
    ['host', (r) => ({ ...r, host: '' })],
    ['timestamp', (r) => ({ ...r, timestamp: -1 })],
    ['timestamp', (r) => ({ ...r, timestamp: NOW + 2 * 3_600_000 })],
    ['timestamp', (r) => ({ ...r, timestamp: 1.5 })],
    ['metrics["cpu.utilization"]', (r) => ({ ...r, metrics: { 'cpu.utilization': Number.NaN } })],
    ['metrics["cpu.utilization"]', (r) => ({ ...r, metrics: { 'cpu.utilization': 87.5 } })],
    ['metrics["mem.utilization"]', (r) => ({ ...r, metrics: { 'mem.utilization': Number.NEGATIVE_INFINITY } })],
    ['metrics["net.connections"]', (r) => ({ ...r, metrics: { 'net.connections': -3 } })],
  ],
  'health.baselines': [
    ['host', (r) => ({ ...r, host: '' })],
    ['timestamp', (r) => ({ ...r, timestamp: FAR_FUTURE })],
    ['sampleCount', (r) => ({ ...r, sampleCount: -5 })],
    ...(['mean', 'median', 'p50', 'p95', 'p99', 'seasonalMedian'] as const).map((f): [string, (r: Rec) => Rec] => [
      `metrics["cpu.utilization"].${f}`,
      (r) => ({ ...r, metrics: { 'cpu.utilization': { ...baseline(r), [f]: Number.NaN } } }),
    ]),
    ...(['stddev', 'mad', 'count'] as const).map((f): [string, (r: Rec) => Rec] => [
      `metrics["cpu.utilization"].${f}`,
      (r) => ({ ...r, metrics: { 'cpu.utilization': { ...baseline(r), [f]: -1 } } }),
    ]),
  ],
  'health.risk': [
    ['host', (r) => ({ ...r, host: '' })],
    ['timestamp', (r) => ({ ...r, timestamp: -1 })],
    ['horizonMs', (r) => ({ ...r, horizonMs: -1 })],
    ['pFail', (r) => ({ ...r, pFail: Number.NaN })],
    ['pFail', (r) => ({ ...r, pFail: 1.01 })],
    ['pFail', (r) => ({ ...r, pFail: -0.01 })],
    ['level', (r) => ({ ...r, level: 'PANIC' })],
    ['trend', (r) => ({ ...r, trend: Number.POSITIVE_INFINITY })],
    ['deviationScore', (r) => ({ ...r, deviationScore: -2 })],
    ['timeToFailureMs', (r) => ({ ...r, timeToFailureMs: -1 })],
    ['drivers[0].feature', (r) => ({ ...r, drivers: [{ feature: '', value: 1, contribution: 1 }] })],
    ['drivers[0].contribution', (r) => ({ ...r, drivers: [{ feature: 'x', value: 1, contribution: Number.NaN }] })],
  ],
  'host.failures': [
    ['host', (r) => ({ ...r, host: '' })],
    ['timestamp', (r) => ({ ...r, timestamp: -5 })],
    ['timestamp', (r) => ({ ...r, timestamp: FAR_FUTURE })],
    ['kind', (r) => ({ ...r, kind: 'METEOR' })],
  ],
  'resource.probes': [
    ['resourceId', (r) => ({ ...r, resourceId: '' })],
    ['vantage', (r) => ({ ...r, vantage: '' })],
    ['outcome', (r) => ({ ...r, outcome: 'FINE' })],
    ['latencyMs', (r) => ({ ...r, latencyMs: -1 })],
    ['intervalMs', (r) => ({ ...r, intervalMs: 0 })],
    ['downAfterMs', (r) => ({ ...r, downAfterMs: Number.NaN })],
    ['timestamp', (r) => ({ ...r, timestamp: FAR_FUTURE })],
    ['timestamp', (r) => ({ ...r, startedAt: (r.timestamp as number) + 1 })],
  ],
  alerts: [
    ['alertId', (r) => ({ ...r, alertId: '' })],
    ['host', (r) => ({ ...r, host: '' })],
    ['status', (r) => ({ ...r, status: 'SMOULDERING' })],
    ['startsAt', (r) => ({ ...r, startsAt: -1 })],
    ['endsAt', (r) => ({ ...r, endsAt: FAR_FUTURE })],
    ['receivedAt', (r) => ({ ...r, receivedAt: FAR_FUTURE })],
  ],
  hosts: [
    ['host', (r) => ({ ...r, host: '' })],
    ['cpuCores', (r) => ({ ...r, cpuCores: Number.NaN })],
    ['cpuCores', (r) => ({ ...r, cpuCores: -8 })],
    ['memoryMb', (r) => ({ ...r, memoryMb: -1 })],
    ['state', (r) => ({ ...r, state: 'ON_FIRE' })],
    ['updatedAt', (r) => ({ ...r, updatedAt: FAR_FUTURE })],
  ],
  deployments: [
    ['resourceId', (r) => ({ ...r, resourceId: '' })],
    ['tier', (r) => ({ ...r, tier: 'PLATINUM' })],
    ['cpu', (r) => ({ ...r, cpu: Number.POSITIVE_INFINITY })],
    ['memoryMb', (r) => ({ ...r, memoryMb: -512 })],
    ['outcome', (r) => ({ ...r, outcome: 'MAYBE' })],
    ['deployedAt', (r) => ({ ...r, deployedAt: -1 })],
  ],
  'region.capacity': [
    ['region', (r) => ({ ...r, region: '' })],
    ['version', (r) => ({ ...r, version: -1 })],
    ['hostCount', (r) => ({ ...r, hostCount: -3 })],
    ['instanceCount', (r) => ({ ...r, instanceCount: 1.5 })],
    ['serviceCount', (r) => ({ ...r, serviceCount: -1 })],
    ['windowStart', (r) => ({ ...r, windowStart: (r.windowEnd as number) + 1 })],
    ['emittedAt', (r) => ({ ...r, emittedAt: FAR_FUTURE })],
  ],
  'region.dependencies': [
    ['region', (r) => ({ ...r, region: '' })],
    ['version', (r) => ({ ...r, version: -1 })],
    ['nodeCount', (r) => ({ ...r, nodeCount: -1 })],
    ['edgeCount', (r) => ({ ...r, edgeCount: Number.NaN })],
    ['dag', (r) => ({ ...r, dag: '' })],
    ['generatedAt', (r) => ({ ...r, generatedAt: FAR_FUTURE })],
  ],
  'region.blueprints': [
    ['primaryRegion', (r) => ({ ...r, primaryRegion: '' })],
    ['shadowRegion', (r) => ({ ...r, shadowRegion: '' })],
    ['headroom', (r) => ({ ...r, headroom: Number.NaN })],
    ['headroom', (r) => ({ ...r, headroom: -0.2 })],
    ['levelCount', (r) => ({ ...r, levelCount: -1 })],
    ['builtAt', (r) => ({ ...r, builtAt: FAR_FUTURE })],
    ['services[0].service', (r) => ({ ...r, services: [{ ...service(r), service: '' }] })],
    ['services[0].instances', (r) => ({ ...r, services: [{ ...service(r), instances: -3 }] })],
    ['services[0].cpuPerInstance', (r) => ({ ...r, services: [{ ...service(r), cpuPerInstance: Infinity }] })],
    ['services[0].memoryMbPerInstance', (r) => ({ ...r, services: [{ ...service(r), memoryMbPerInstance: -1 }] })],
    ['services[0].launchLevel', (r) => ({ ...r, services: [{ ...service(r), launchLevel: 1_000_000 }] })],
    ['services[0].launchLevel', (r) => ({ ...r, services: [{ ...service(r), launchLevel: 3 }] })],
    ['services[0].ports[0]', (r) => ({ ...r, services: [{ ...service(r), ports: [70_000] }] })],
  ],
  'region.health': [
    ['region', (r) => ({ ...r, region: '' })],
    ['status', (r) => ({ ...r, status: 'ON_FIRE' })],
    ['hostCount', (r) => ({ ...r, hostCount: -3 })],
    ['hostsAtRisk', (r) => ({ ...r, hostsAtRisk: 4 })],
    ['hostsFailed', (r) => ({ ...r, hostsFailed: -1 })],
    ['meanPFail', (r) => ({ ...r, meanPFail: 5 })],
    ['meanPFail', (r) => ({ ...r, meanPFail: Number.NaN })],
    ['timestamp', (r) => ({ ...r, timestamp: FAR_FUTURE })],
  ],
  'operator.requests': [
    ['requestId', (r) => ({ ...r, requestId: '' })],
    ['subject', (r) => ({ ...r, subject: '' })],
    ['type', (r) => ({ ...r, type: 'DELETE_EVERYTHING' })],
    ['requestedAt', (r) => ({ ...r, requestedAt: -1 })],
  ],
  'shadow.commands': [
    ['commandId', (r) => ({ ...r, commandId: '' })],
    ['resourceId', (r) => ({ ...r, resourceId: '' })],
    ['type', (r) => ({ ...r, type: 'EXPLODE' })],
    ['epoch', (r) => ({ ...r, epoch: -1 })],
    ['tier', (r) => ({ ...r, tier: 'PLATINUM' })],
    ['priority', (r) => ({ ...r, priority: Number.NaN })],
    ['priority', (r) => ({ ...r, priority: -1 })],
    ['attempt', (r) => ({ ...r, attempt: -1 })],
    ['issuedAt', (r) => ({ ...r, issuedAt: FAR_FUTURE })],
  ],
  'shadow.state': [
    ['resourceId', (r) => ({ ...r, resourceId: '' })],
    ['state', (r) => ({ ...r, state: 'LIMBO' })],
    ['epoch', (r) => ({ ...r, epoch: -2 })],
    ['tier', (r) => ({ ...r, tier: 'GOLD' })],
    ['priority', (r) => ({ ...r, priority: Number.NaN })],
    ['lagBytes', (r) => ({ ...r, lagBytes: -1 })],
    ['lagMs', (r) => ({ ...r, lagMs: -1 })],
    ['attempts', (r) => ({ ...r, attempts: -1 })],
    ['createdAt', (r) => ({ ...r, createdAt: -1 })],
    ['updatedAt', (r) => ({ ...r, updatedAt: FAR_FUTURE })],
    ['shadowMs', (r) => ({ ...r, shadowMs: -1 })],
  ],
  'failover.commands': [
    ['commandId', (r) => ({ ...r, commandId: '' })],
    ['failoverId', (r) => ({ ...r, failoverId: '' })],
    ['primaryRegion', (r) => ({ ...r, primaryRegion: '' })],
    ['epoch', (r) => ({ ...r, epoch: -1 })],
    ['blueprintVersion', (r) => ({ ...r, blueprintVersion: -1 })],
    ['level', (r) => ({ ...r, level: 1_000_000 })],
    ['level', (r) => ({ ...r, level: -2 })],
    ['services[0].instances', (r) => ({ ...r, services: [{ ...launch(r), instances: -4 }] })],
    ['services[0].cpuPerInstance', (r) => ({ ...r, services: [{ ...launch(r), cpuPerInstance: Number.NaN }] })],
    ['issuedAt', (r) => ({ ...r, issuedAt: FAR_FUTURE })],
  ],
  'failover.events': [
    ['eventId', (r) => ({ ...r, eventId: '' })],
    ['subject', (r) => ({ ...r, subject: '' })],
    ['scope', (r) => ({ ...r, scope: 'GALAXY' })],
    ['step', (r) => ({ ...r, step: 'launch the rockets' })],
    ['epoch', (r) => ({ ...r, epoch: -1 })],
    ['elapsedMs', (r) => ({ ...r, elapsedMs: -10 })],
    ['timestamp', (r) => ({ ...r, timestamp: FAR_FUTURE })],
  ],
  'actuation.results': [
    ['commandId', (r) => ({ ...r, commandId: '' })],
    ['subject', (r) => ({ ...r, subject: '' })],
    ['commandType', (r) => ({ ...r, commandType: 'SELF_DESTRUCT' })],
    ['status', (r) => ({ ...r, status: 'MEH' })],
    ['epoch', (r) => ({ ...r, epoch: -1 })],
    ['lagBytes', (r) => ({ ...r, lagBytes: -1 })],
    ['durationMs', (r) => ({ ...r, durationMs: -5 })],
    ['attempt', (r) => ({ ...r, attempt: -7 })],
    ['timestamp', (r) => ({ ...r, timestamp: FAR_FUTURE })],
  ],
  'control.state': [
    ['controlId', (r) => ({ ...r, controlId: '' })],
    ['kind', (r) => ({ ...r, kind: 'VACATION' })],
    ['scope', (r) => ({ ...r, scope: 'GALAXY' })],
    ['endsAt', (r) => ({ ...r, endsAt: -1 })],
    ['updatedAt', (r) => ({ ...r, updatedAt: FAR_FUTURE })],
  ],
  'region.failovers': [
    ['region', (r) => ({ ...r, region: '' })],
    ['status', (r) => ({ ...r, status: 'ON_FIRE' })],
    ['epoch', (r) => ({ ...r, epoch: -1 })],
    ['since', (r) => ({ ...r, since: FAR_FUTURE })],
  ],
};

function baseline(r: Rec): Rec {
  return (r.metrics as Record<string, Rec>)['cpu.utilization']!;
}
function service(r: Rec): Rec {
  return (r.services as Rec[])[0]!;
}
function launch(r: Rec): Rec {
  return (r.services as Rec[])[0]!;
}

describe('record validators of the internal topics', () => {
  it('cover every Avro input topic of the fuzz corpus', () => {
    const avro = TOPIC_RECORDS.filter((t) => 'avro' in t.format).map((t) => t.topic);
    expect([...VALIDATED_TOPICS].sort()).toEqual([...avro].sort());
    expect(Object.keys(ABSURD).sort()).toEqual([...avro].sort());
  });

  for (const topic of Object.keys(ABSURD)) {
    describe(topic, () => {
      it('passes a good record, and the same record as decoded from JSON with fields left out', () => {
        expect(problems(topic, good(topic))).toEqual([]);
        expect(problems(topic, {})).toEqual([]);
      });

      for (const [field, patch] of ABSURD[topic]!) {
        it(`rejects an absurd ${field}, naming it`, () => {
          const found = problems(topic, patch(good(topic)));
          expect(found.length).toBeGreaterThan(0);
          expect(
            found.some((p) => p.startsWith(`${field} `)),
            found.join('; '),
          ).toBe(true);
        });
      }

      it("rejects every variant the fuzz corpus expects to be rejected (so the fuzz's 'reject' holds)", () => {
        for (const v of topicRecords(topic).semantic.filter((s) => s.expect === 'reject')) {
          expect(problems(topic, v.patch(good(topic))), v.kind).not.toEqual([]);
        }
      });
    });
  }

  it('says what is wrong in words: NaN, negative, range, enum, empty, future', () => {
    const risk = good('health.risk');
    expect(problems('health.risk', { ...risk, pFail: Number.NaN })).toEqual(['pFail is not a finite number (NaN)']);
    expect(problems('health.risk', { ...risk, horizonMs: -1 })).toEqual(['horizonMs is negative (-1)']);
    expect(problems('health.risk', { ...risk, pFail: 7 })).toEqual(['pFail is above 1 (7)']);
    expect(problems('health.risk', { ...risk, level: 'PANIC' })).toEqual([
      'level is not one of OK, WATCH, WARNING, CRITICAL ("PANIC")',
    ]);
    expect(problems('health.risk', { ...risk, host: '' })).toEqual(['host is empty']);
    expect(problems('health.risk', { ...risk, timestamp: NOW + 7_200_000 })[0]).toMatch(
      /^timestamp is 2026-11-24T14:00:00.000Z, more than 3600000 ms ahead of the clock$/,
    );
    // Up to the bound it is fine: the runtime's event-time rule is the same.
    expect(problems('health.risk', { ...risk, timestamp: NOW + 3_600_000 })).toEqual([]);
    expect(problems('metrics.samples', { ...good('metrics.samples'), metrics: { 'cpu.utilization': 87.5 } })).toEqual([
      'metrics["cpu.utilization"] is out of range: cpu.utilization is a fraction above 1 (87.5)',
    ]);
  });

  it('names fields the way code does', () => {
    expect(fieldPath(['services', 0, 'launchLevel'])).toBe('services[0].launchLevel');
    expect(fieldPath(['metrics', 'cpu.utilization', 'mean'])).toBe('metrics["cpu.utilization"].mean');
    expect(fieldPath([])).toBe('value');
  });

  it('throws VALIDATION_FAILED with the topic and every reason', () => {
    const bad = { ...good('shadow.commands'), epoch: -1, priority: Number.NaN };
    let err: unknown;
    try {
      validateRecord('shadow.commands', bad, clock);
    } catch (e: unknown) {
      err = e;
    }
    expect(err).toBeInstanceOf(ForeshadowError);
    expect((err as ForeshadowError).code).toBe('VALIDATION_FAILED');
    expect((err as ForeshadowError).retriable).toBe(false);
    expect((err as Error).message).toBe(
      'absurd shadow.commands record: epoch is negative (-1); priority is not a finite number (NaN)',
    );
    expect(validateRecord('shadow.commands', good('shadow.commands'), clock)).toEqual(good('shadow.commands'));
    expect(() => recordProblems('metrics.raw', {})).toThrow(/no record validator/);
  });

  it('validates behind a serde, synchronous or not, and leaves serialising alone', async () => {
    const serde = validatedSerde('hosts', jsonSerde<Rec>(), clock);
    const ok = good('hosts');
    expect(serde.deserialize('t', Buffer.from(JSON.stringify(ok)))).toEqual(ok);
    expect(() => serde.deserialize('t', Buffer.from(JSON.stringify({ ...ok, memoryMb: -1 })))).toThrow(
      /absurd hosts record: memoryMb is negative/,
    );
    const slow = validatedSerde('hosts', {
      serialize: (_t: string, v: Rec) => Buffer.from(JSON.stringify(v)),
      deserialize: async (_t: string, d: Buffer) => JSON.parse(d.toString()) as Rec,
    });
    await expect(slow.deserialize('t', Buffer.from(JSON.stringify({ ...ok, cpuCores: -2 })))).rejects.toThrow(
      /cpuCores is negative/,
    );
    expect((await slow.serialize('t', { ...ok, memoryMb: -1 })).toString()).toContain('-1');
  });
});

describe('consumers refuse absurd records', () => {
  it('a processor app dead-letters them with reason validation and the field named', async () => {
    const now = Date.now();
    const d = new TopologyTestDriver(
      buildHostBaselineTopology({ sampleSerde: jsonSerde(), baselineSerde: jsonSerde() }),
    );
    const sample = topicRecords('metrics.samples').good('h1q', now).value as Rec;
    await d.pipeInput('metrics.samples', 'h1q', { ...sample, metrics: { 'cpu.utilization': -0.5 } }, now);
    await d.pipeInput('metrics.samples', 'h1q', { ...sample, timestamp: FAR_FUTURE }, now);
    await d.pipeInput('metrics.samples', 'h1q', sample, now);
    expect(d.metrics.deadLettered.validation).toBe(2);
    const dlq = d.readOutput('metrics.samples.dlq');
    expect(dlq.map((r) => r.headers['x-dlq-reason'])).toEqual(['validation', 'validation']);
    expect(dlq[0]!.headers['x-dlq-error']).toContain('metrics["cpu.utilization"] is out of range');
    expect(dlq[1]!.headers['x-dlq-error']).toContain('timestamp is 2999-01-01T00:00:00.000Z');
  });

  it('the failover orchestrator dead-letters an absurd blueprint instead of planning with it', async () => {
    const now = Date.now();
    const d = new TopologyTestDriver(buildFailoverOrchestratorTopology({ serdes: jsonValueSerdes }));
    const bp = topicRecords('region.blueprints').good('r1q', now).value as Rec;
    await d.pipeInput('region.blueprints', 'r1q', { ...bp, headroom: -1 }, now);
    expect(d.metrics.deadLettered.validation).toBe(1);
    expect(d.readOutput('region.blueprints.dlq')[0]!.headers['x-dlq-error']).toContain('headroom is negative (-1)');
  });

  it('the actuator codec refuses an absurd command with VALIDATION_FAILED', async () => {
    const codec = jsonCodec();
    const cmd = topicRecords('shadow.commands').good('c1q', Date.now()).value as Rec;
    await expect(codec.decodeShadow(Buffer.from(JSON.stringify(cmd)))).resolves.toMatchObject({ commandId: 'c1q' });
    await expect(codec.decodeShadow(Buffer.from(JSON.stringify({ ...cmd, epoch: -1 })))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'absurd shadow.commands record: epoch is negative (-1)',
    });
    const fo = topicRecords('failover.commands').good('f1q', Date.now()).value as Rec;
    await expect(codec.decodeFailover(Buffer.from(JSON.stringify({ ...fo, level: 1_000_000 })))).rejects.toThrow(
      /level is above 9999/,
    );
  });
});

describe('evidence sanity (dependency-map, JSON topology topics)', () => {
  const flow = (): Rec => topicRecords('topology.flows').good('e1q', NOW).value as Rec;
  const discovery = (): Rec => topicRecords('topology.discovery').good('e1q', NOW).value as Rec;

  it('passes good evidence and refuses impossible ports, byte counts and times', () => {
    expect(evidenceProblems('flow', flow(), clock)).toEqual([]);
    expect(evidenceProblems('discovery', discovery(), clock)).toEqual([]);
    expect(evidenceProblems('discovery', { ...discovery(), ServicePort: -80 }, clock)).toEqual([
      'endpoint port of 10.0.0.7 is out of range (-80)',
    ]);
    expect(evidenceProblems('flow', { ...flow(), bytes: -1200 }, clock)).toEqual(['bytes is negative (-1200)']);
    expect(evidenceProblems('flow', { ...flow(), dstPort: 99_999 }, clock)).toEqual([
      'destination port of 10.0.0.8 is out of range (99999)',
    ]);
    expect(evidenceProblems('flow', { ...flow(), timestamp: FAR_FUTURE }, clock)[0]).toMatch(/^timestamp /);
    for (const topic of ['topology.discovery', 'topology.flows']) {
      const kind = topic === 'topology.flows' ? 'flow' : 'discovery';
      const base = topicRecords(topic).good('e1q', NOW).value as Rec;
      for (const v of topicRecords(topic).semantic.filter((s) => s.expect === 'reject'))
        expect(evidenceProblems(kind, v.patch(base), clock), `${topic} ${v.kind}`).not.toEqual([]);
    }
  });
});
