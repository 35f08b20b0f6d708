import { describe, expect, it } from 'vitest';
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { HostRisk } from '../../../schemas/records/host-risk.js';
import type { HostSample } from '../../../schemas/records/host-sample.js';
import { DEPLOYMENTS_TOPIC, FAILURES_TOPIC, RISK_TOPIC, SAMPLES_TOPIC } from '../../../streams/catalogue.js';
import {
  buildRiskTrainerTopology,
  examplesTopic,
  FLEET_MODEL_KEY,
  modelTopic,
  type PublishedModel,
  type RiskExample,
  SettableModelFeed,
  TRAINER_STORE,
} from '../../../streams/processors/failure-risk/fleet-model.js';
import type { ModelState } from '../../../streams/processors/failure-risk/model.js';
import { HOST_STORE } from '../../../streams/processors/failure-risk/names.js';
import type { FailureRiskOptions } from '../../../streams/processors/failure-risk/options.js';
import type { DeploymentInput } from '../../../streams/processors/failure-risk/processor.js';
import type { HostRiskState } from '../../../streams/processors/failure-risk/risk-engine.js';
import { buildFailureRiskTopology } from '../../../streams/processors/failure-risk/topology.js';
import { jsonSerde } from '../../../streams/runtime/serdes.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';

const T0 = Date.UTC(2026, 0, 5);
const STEP = 5 * 60_000;

const APP = 'foreshadow-failure-risk';

function driver(feed = new SettableModelFeed(), processor: Partial<FailureRiskOptions> = {}): TopologyTestDriver {
  const topology = buildFailureRiskTopology({
    sampleSerde: jsonSerde<HostSample>(),
    failureSerde: jsonSerde<HostFailure>(),
    deploymentSerde: jsonSerde<DeploymentInput | null>(),
    riskSerde: jsonSerde<HostRisk>(),
    modelFeed: feed,
    processor,
  });
  return new TopologyTestDriver(topology, { initialWallClockMs: T0 });
}

/**
 * The fleet's trainer beside a scoring driver: `train` hands it the examples the scoring side sent
 * since the last call, publishes its model to the feed the scoring side reads, and returns it.
 */
function trainerFor(feed: SettableModelFeed) {
  const trainer = new TopologyTestDriver(buildRiskTrainerTopology({ applicationId: APP }), {
    initialWallClockMs: T0,
  });
  const store = trainer.getKeyValueStore<string, ModelState>(TRAINER_STORE);
  return {
    async train(scoring: TopologyTestDriver): Promise<{ model: ModelState; examples: RiskExample[] }> {
      const examples = scoring.readOutput<string, RiskExample>(examplesTopic(APP));
      for (const e of examples) await trainer.pipeInput(examplesTopic(APP), e.key, e.value, e.timestamp);
      await trainer.advanceWallClockTime(10_000);
      const published = trainer.readOutput<string, PublishedModel>(modelTopic(APP)).at(-1);
      if (published) {
        expect(published.key).toBe(FLEET_MODEL_KEY);
        feed.set(published.value.model);
      }
      return {
        model: structuredClone((await store.get(FLEET_MODEL_KEY)) ?? feed.current()),
        examples: examples.map((e) => e.value),
      };
    },
  };
}

const sample = (host: string, t: number, mem: number): HostSample => ({
  host,
  region: 'eu-west-1',
  zone: 'eu-west-1b',
  timestamp: t,
  metrics: { 'mem.utilization': mem, 'cpu.utilization': 0.3 },
  tags: {},
  source: 'json',
});

describe('failure-risk topology through the test driver', () => {
  it('publishes a risk record per sample with the trigger fields, and escalates on a leak', async () => {
    const d = driver();
    let t = T0;
    for (let i = 0; i < 120; i++, t += STEP)
      await d.pipeInput(SAMPLES_TOPIC, 'web-1', sample('web-1', t, 0.5 + 0.002 * (i % 4)), t);
    const steady = d.readOutput<string, HostRisk>(RISK_TOPIC);
    expect(steady).toHaveLength(120);
    expect(steady.every((r) => r.key === 'web-1' && r.value.level === 'OK')).toBe(true);
    expect(steady[119]!.value).toMatchObject({
      host: 'web-1',
      region: 'eu-west-1',
      zone: 'eu-west-1b',
      horizonMs: 1_800_000,
    });
    let mem = 0.5;
    const levels: string[] = [];
    while (mem < 0.99) {
      mem += 0.02; // +0.24 per hour
      await d.pipeInput(SAMPLES_TOPIC, 'web-1', sample('web-1', t, mem), t);
      t += STEP;
      const [r] = d.readOutput<string, HostRisk>(RISK_TOPIC);
      levels.push(r!.value.level);
    }
    expect(levels).toContain('WARNING');
    expect(levels[levels.length - 1]).toBe('CRITICAL');
    expect(levels.indexOf('WARNING')).toBeLessThan(levels.length - 4);
  });

  it('with emitEveryMs publishes on material change and as a keep-alive: every change of the full series, far fewer records', async () => {
    const every = 15 * 60_000;
    const full = driver();
    const sparse = driver(new SettableModelFeed(), { emitEveryMs: every });
    let t = T0;
    const feed = async (mem: number): Promise<void> => {
      for (const d of [full, sparse]) await d.pipeInput(SAMPLES_TOPIC, 'web-1', sample('web-1', t, mem), t);
      t += STEP;
    };
    for (let i = 0; i < 120; i++) await feed(0.5 + 0.002 * (i % 4));
    for (let mem = 0.5; mem < 0.99; mem += 0.02) await feed(mem); // a leak: WATCH → WARNING → CRITICAL
    const all = full.readOutput<string, HostRisk>(RISK_TOPIC).map((r) => r.value);
    const sent = sparse.readOutput<string, HostRisk>(RISK_TOPIC).map((r) => r.value);
    expect(all.length).toBeGreaterThan(140);
    expect(sent.length).toBeLessThan(all.length / 2);
    // The steady hour-long stretch: the keep-alive alone (a record every third 5-minute sample).
    expect(sent.filter((r) => r.timestamp < T0 + 120 * STEP)).toHaveLength(40);
    // What is published is the full series' record of that sample, unchanged.
    const byTime = new Map(all.map((r) => [r.timestamp, r]));
    for (const r of sent) expect(r).toEqual(byTime.get(r.timestamp));
    // Every change of level or flags is published at the sample where it happened.
    const sentAt = new Set(sent.map((r) => r.timestamp));
    for (let i = 1; i < all.length; i++) {
      const [a, b] = [all[i - 1]!, all[i]!];
      if (a.level !== b.level || a.deviating !== b.deviating || a.rising !== b.rising)
        expect(sentAt.has(b.timestamp), `change at ${b.timestamp}`).toBe(true);
    }
    expect(new Set(sent.map((r) => r.level))).toEqual(new Set(all.map((r) => r.level)));
    // And never longer apart than the keep-alive.
    for (let i = 1; i < sent.length; i++)
      expect(sent[i]!.timestamp - sent[i - 1]!.timestamp).toBeLessThanOrEqual(every);
  });

  it('learns from host failures and failed deployments, through the fleet trainer and its model store', async () => {
    const feed = new SettableModelFeed();
    const d = driver(feed);
    const trainer = trainerFor(feed);
    let t = T0;
    for (let i = 0; i < 40; i++, t += STEP) await d.pipeInput(SAMPLES_TOPIC, 'db-1', sample('db-1', t, 0.6), t);
    const first = await trainer.train(d);
    const before = first.model;
    expect(before.updates).toBeGreaterThan(0); // settled negatives
    expect(first.examples.every((e) => e.label === 0 && e.host === 'db-1')).toBe(true);
    await d.pipeInput(
      FAILURES_TOPIC,
      'db-1',
      { host: 'db-1', region: 'eu-west-1', timestamp: t, kind: 'CRASH', source: 'test', detail: '' },
      t,
    );
    const second = await trainer.train(d);
    const afterFailure = second.model;
    expect(second.examples.filter((e) => e.label === 1)).toHaveLength(6);
    expect(afterFailure.positives).toBe(before.positives + 6);
    expect(afterFailure.bias).toBeGreaterThan(before.bias);
    // the scoring side now scores with the trainer's model
    expect(feed.current()).toEqual(afterFailure);
    const hosts = d.getKeyValueStore<string, HostRiskState>(HOST_STORE);
    expect((await hosts.get('db-1'))!.failedAt).toBe(t);

    for (let i = 0; i < 6; i++, t += STEP) await d.pipeInput(SAMPLES_TOPIC, 'db-1', sample('db-1', t, 0.6), t);
    const deployment: DeploymentInput = {
      resourceId: 'redis-7',
      host: 'db-1',
      region: 'eu-west-1',
      outcome: 'FAILED',
      deployedAt: t - STEP,
    };
    await d.pipeInput(DEPLOYMENTS_TOPIC, 'redis-7', deployment, t);
    // the same record again (redelivery, compaction) must not count twice
    await d.pipeInput(DEPLOYMENTS_TOPIC, 'redis-7', deployment, t);
    const afterDeploy = (await trainer.train(d)).model;
    expect(afterDeploy.positives).toBe(afterFailure.positives + 6);
    expect((await hosts.get('db-1'))!.features.deployFailures).toBe(1);
    await d.pipeInput(SAMPLES_TOPIC, 'db-1', sample('db-1', t, 0.6), t);
    const [r] = d.readOutput<string, HostRisk>(RISK_TOPIC).slice(-1);
    expect(r!.value.drivers.map((x) => x.feature)).toContain('deploy_failures');
    expect(r!.value.modelVersion).toBe(`logreg-v2.${afterDeploy.updates}`);
  });
});

describe('silence (heartbeat loss)', () => {
  it('publishes rising risk with missing samples as the driver when a host stops reporting', async () => {
    const d = driver();
    let t = T0;
    // samples arrive live: one per wall-clock step
    for (let i = 0; i < 60; i++, t += STEP) {
      await d.pipeInput(SAMPLES_TOPIC, 'quiet-1', sample('quiet-1', t, 0.5), t);
      await d.advanceWallClockTime(STEP);
    }
    d.readOutput(RISK_TOPIC);
    // the host goes silent: the wall clock keeps going, no samples
    for (let i = 0; i < 12; i++) await d.advanceWallClockTime(STEP);
    const silent = d.readOutput<string, HostRisk>(RISK_TOPIC).map((r) => r.value);
    expect(silent.length).toBeGreaterThan(3);
    expect(silent.every((r) => r.host === 'quiet-1')).toBe(true);
    expect(silent.at(-1)!.drivers[0]!.feature).toBe('missing');
    expect(silent.at(-1)!.pFail).toBeGreaterThan(silent[0]!.pFail);
    expect(silent.at(-1)!.rising).toBe(true);
    expect(silent.at(-1)!.timestamp).toBeGreaterThan(t);
    // a failed host is not reported as silent
    await d.pipeInput(
      FAILURES_TOPIC,
      'quiet-1',
      { host: 'quiet-1', region: '', timestamp: t + 12 * STEP, kind: 'HEARTBEAT_LOST', source: 'test', detail: '' },
      t,
    );
    d.readOutput(RISK_TOPIC);
    await d.advanceWallClockTime(5 * STEP);
    expect(d.readOutput(RISK_TOPIC)).toEqual([]);
  });
});
