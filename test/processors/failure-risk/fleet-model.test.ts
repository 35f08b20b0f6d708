import { describe, expect, it } from 'vitest';
import { featureVector } from '../../../streams/processors/failure-risk/features.js';
import {
  buildRiskTrainerTopology,
  examplesTopic,
  FLEET_MODEL_KEY,
  modelTopic,
  type PublishedModel,
  priorModelFeed,
  type RiskExample,
  riskExampleSerde,
  SettableModelFeed,
  TRAINER_STORE,
  tableModelFeed,
  trainerApplicationId,
} from '../../../streams/processors/failure-risk/fleet-model.js';
import { type ModelState, newModel, train } from '../../../streams/processors/failure-risk/model.js';
import { ForeshadowError } from '../../../streams/runtime/errors.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';

const serde = riskExampleSerde();
const example = (label: 0 | 1, exhaustion: number, t = 1_000): RiskExample => ({
  host: 'web-7',
  t,
  label,
  weight: label === 1 ? 0.5 : 1,
  x: featureVector(exhaustion, 0, 0, 0, 0.25, 0, 0.5, 0, 0),
});

describe('fleet model: examples, trainer, feeds', () => {
  it('round-trips examples compactly and refuses malformed ones with a clear error', () => {
    const e = example(1, 1.5);
    const bytes = serde.serialize('t', e) as Buffer;
    expect(serde.deserialize('t', bytes)).toEqual(e);
    // three non-zero features: far smaller than JSON
    expect(bytes.length).toBeLessThan(JSON.stringify(e).length / 3);
    const badLabel = Buffer.from(bytes);
    badLabel[1 + 2 + 'web-7'.length + 8] = 7;
    expect(() => serde.deserialize('t', badLabel)).toThrow(/label 7/);
    expect(() => serde.deserialize('t', bytes.subarray(0, bytes.length - 2))).toThrow(ForeshadowError);
    const future = Buffer.from(bytes);
    future[0] = 9;
    expect(() => serde.deserialize('t', future)).toThrow(/format 9/);
  });

  it('trains one model from every example in topic order and publishes it', async () => {
    const app = 'risk-app';
    const d = new TopologyTestDriver(
      buildRiskTrainerTopology({ applicationId: app, trainer: { publishEvery: 3, publishIntervalMs: 1_000 } }),
    );
    expect(d.topology.applicationId).toBe(trainerApplicationId(app));
    const examples = [example(0, 0), example(0, 0.1), example(1, 1.8), example(0, 0), example(1, 2)];
    for (const [i, e] of examples.entries()) await d.pipeInput(examplesTopic(app), `h${i % 2}`, e, e.t);
    // the same examples, applied in the same order to a model in process
    const expected = newModel();
    for (const e of examples) train(expected, e.x, e.label, e.weight);
    const stored = await d.getKeyValueStore<string, ModelState>(TRAINER_STORE).get(FLEET_MODEL_KEY);
    expect(stored).toEqual(expected);
    // published after 3 examples, then on the tick for the remaining 2
    let published = d.readOutput<string, PublishedModel>(modelTopic(app));
    expect(published.map((p) => p.value.examples)).toEqual([3]);
    expect(published[0]!.partition).toBe(0);
    await d.advanceWallClockTime(1_000);
    published = d.readOutput<string, PublishedModel>(modelTopic(app));
    expect(published.map((p) => [p.key, p.value.examples, p.value.version])).toEqual([
      [FLEET_MODEL_KEY, 5, 'logreg-v2.5'],
    ]);
    expect(published[0]!.value.model).toEqual(expected);
    // nothing new: no publication
    await d.advanceWallClockTime(5_000);
    expect(d.readOutput(modelTopic(app))).toEqual([]);
  });

  it('feeds the prior until a model is published, then the latest one', () => {
    const prior = newModel();
    expect(priorModelFeed().current()).toEqual(prior);
    const table = new Map<string, PublishedModel>();
    const feed = tableModelFeed({ get: (k: string) => table.get(k) });
    expect(feed.current()).toEqual(prior);
    const m = newModel();
    train(m, example(1, 2).x, 1);
    table.set(FLEET_MODEL_KEY, { version: 'logreg-v2.1', publishedAt: 0, examples: 1, model: m });
    expect(feed.current()).toBe(m);
    const settable = new SettableModelFeed();
    settable.set(m);
    expect(settable.current()).toEqual(m);
    expect(settable.current()).not.toBe(m);
  });
});
