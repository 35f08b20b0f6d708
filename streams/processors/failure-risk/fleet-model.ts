/**
 * One failure model for the whole fleet. Every failure-risk task labels the examples of its own
 * hosts (a sample's features become a negative once the host survives the horizon, a positive when
 * it fails within it), but no task trains on them: it sends them to the fleet's one trainer.
 *
 *   failure-risk tasks (N partitions) ── RiskExample ──► <appId>-risk-examples (1 partition)
 *   trainer (1 task, its own app)  ◄──────────────────────┘
 *     applies each example to the model (SGD on the log loss, model.ts), keeps it in its store,
 *     publishes it ──► <appId>-risk-model (1 partition, compacted, key "model")
 *   every failure-risk instance reads that topic (a GlobalTable) and scores with the latest model.
 *
 * So all hosts are scored by the same model, learnt from the failures of all of them, and a task's
 * risk records name the model version they used. The trainer applies examples in the order the
 * topic holds them; a model is published every `publishEvery` examples and on a wall-clock tick
 * when it changed since the last publication. Until a model has been published, tasks score with
 * the prior (model.ts). Both topics are ordinary one-partition topics made by
 * `ensureFleetModelTopics` (not in the catalogue: only this app reads them), as the shadow
 * manager's fleet topic is.
 */
import type { Admin } from 'kafkajs';
import { ForeshadowError } from '../../runtime/errors.js';
import type { GlobalTable } from '../../runtime/global-table.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import { StreamRecord } from '../../runtime/record.js';
import { jsonSerde, type Serde, stringSerde } from '../../runtime/serdes.js';
import { createTopicsAndWait } from '../../runtime/topic-admin.js';
import { keyValueStoreSpec, Topology } from '../../runtime/topology.js';
import type { KeyValueStore } from '../../state/store.js';
import { notPlusZero, StateReader, StateWriter } from '../host-baseline/binary-state.js';
import { FEATURES, type FeatureVector, featureVector } from './features.js';
import { DEFAULT_MODEL_OPTIONS, type ModelOptions, type ModelState, modelVersion, newModel, train } from './model.js';
import {
  examplesTopic,
  FAILURE_RISK_APPLICATION_ID,
  FLEET_MODEL_KEY,
  modelTopic,
  TRAINER_STORE,
  trainerApplicationId,
} from './names.js';

export { examplesTopic, FLEET_MODEL_KEY, modelTopic, TRAINER_STORE, trainerApplicationId } from './names.js';

/** A labelled example: a host's features at `t`, failed within the horizon (1) or not (0). */
export interface RiskExample {
  host: string;
  t: number;
  label: 0 | 1;
  weight: number;
  x: FeatureVector;
}

/** A model as the trainer publishes it. */
export interface PublishedModel {
  version: string;
  /** Wall-clock time of publication. */
  publishedAt: number;
  /** Examples applied so far. */
  examples: number;
  model: ModelState;
}

/** What the failure-risk processors score with: the fleet's latest model. */
export interface ModelFeed {
  current(): ModelState;
}

const PRIOR = newModel();

/** Always the prior (a topology run without a trainer, e.g. benchmarks of the scoring path). */
export function priorModelFeed(): ModelFeed {
  return { current: () => PRIOR };
}

/** The latest model on the model topic, as a GlobalTable holds it; the prior before the first. */
export function tableModelFeed(table: Pick<GlobalTable<PublishedModel>, 'get'>): ModelFeed {
  return { current: () => table.get(FLEET_MODEL_KEY)?.model ?? PRIOR };
}

/** A feed the caller sets (tests that pass the trainer's model to the scoring topology by hand). */
export class SettableModelFeed implements ModelFeed {
  private model: ModelState = PRIOR;

  set(model: ModelState): void {
    this.model = structuredClone(model);
  }

  current(): ModelState {
    return this.model;
  }
}

const EXAMPLE_FORMAT = 1;
const exampleWriter = new StateWriter();

/**
 * Binary serde of RiskExample: [format][host][t][label][weight][mask of non-zero features][those
 * features], ~30 bytes for a healthy host's example instead of ~250 of JSON: every sample of the
 * fleet becomes one, so the examples topic carries as many records as metrics.samples.
 */
export function riskExampleSerde(): Serde<RiskExample> {
  return {
    serialize: (_topic, e) => {
      const w = exampleWriter.reset();
      w.u8(EXAMPLE_FORMAT);
      w.str(e.host, 'host');
      w.f64(e.t);
      w.u8(e.label);
      w.f64(e.weight);
      let mask = 0;
      FEATURES.forEach((f, i) => {
        if (notPlusZero(e.x[f])) mask |= 1 << i;
      });
      w.u16(mask, 'feature mask');
      FEATURES.forEach((f, i) => {
        if (mask & (1 << i)) w.f64(e.x[f]);
      });
      return w.finish();
    },
    deserialize: (_topic, data) => {
      const r = new StateReader(data, 'risk example');
      const format = r.u8();
      if (format !== EXAMPLE_FORMAT) r.fail(`format ${format}; this build reads format ${EXAMPLE_FORMAT}`);
      const host = r.str();
      const t = r.f64();
      const byte = r.u8();
      if (byte !== 0 && byte !== 1) r.fail(`label ${byte} is neither 0 nor 1`);
      const label: 0 | 1 = byte === 1 ? 1 : 0;
      const weight = r.f64();
      if (!(weight > 0) || !Number.isFinite(weight)) r.fail(`weight ${weight} is not a positive number`);
      const mask = r.u16();
      if (mask >> FEATURES.length !== 0) r.fail(`feature mask ${mask} names unknown features`);
      const v = FEATURES.map((_, i) => (mask & (1 << i) ? r.f64() : 0));
      r.end();
      if (!v.every(Number.isFinite)) r.fail('a feature is not a finite number');
      const x = featureVector(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!, v[8]!);
      return { host, t, label, weight, x };
    },
  };
}

export interface TrainerOptions {
  model: ModelOptions;
  /** Publish after this many examples since the last publication... */
  publishEvery: number;
  /** ...or on this wall-clock period when any arrived. */
  publishIntervalMs: number;
}

export const DEFAULT_TRAINER_OPTIONS: TrainerOptions = {
  model: DEFAULT_MODEL_OPTIONS,
  publishEvery: 1_000,
  publishIntervalMs: 5_000,
};

/** The fleet's trainer: every example into the one model, published now and then. */
export class RiskTrainerProcessor implements Processor<string, RiskExample, string, PublishedModel> {
  private ctx!: ProcessorContext<string, PublishedModel>;
  private store!: KeyValueStore<string, ModelState>;
  private readonly opts: TrainerOptions;
  /** Updates of the model at its last publication (-1: none since this instance started). */
  private published = -1;

  constructor(options: Partial<TrainerOptions> = {}) {
    this.opts = { ...DEFAULT_TRAINER_OPTIONS, ...options };
    if (!Number.isInteger(this.opts.publishEvery) || this.opts.publishEvery < 1)
      throw new ForeshadowError('CONFIG_INVALID', `trainer publishEvery must be a positive integer`, {
        context: { publishEvery: this.opts.publishEvery },
      });
  }

  init(ctx: ProcessorContext<string, PublishedModel>): void {
    this.ctx = ctx;
    this.store = ctx.getKeyValueStore<string, ModelState>(TRAINER_STORE);
    ctx.schedule(this.opts.publishIntervalMs, 'wall-clock', (now) => this.publishIfChanged(now));
  }

  async process(record: StreamRecord<string, RiskExample>): Promise<void> {
    const e = record.value;
    const model = (await this.store.get(FLEET_MODEL_KEY)) ?? newModel();
    train(model, e.x, e.label, e.weight, this.opts.model);
    this.store.put(FLEET_MODEL_KEY, model);
    if (model.updates - Math.max(0, this.published) >= this.opts.publishEvery)
      this.publish(model, this.ctx.wallClockTime());
  }

  private async publishIfChanged(now: number): Promise<void> {
    const model = await this.store.get(FLEET_MODEL_KEY);
    // After a restart the restored model is published once, whatever the last instance did.
    if (model && model.updates !== this.published) this.publish(model, now);
  }

  private publish(model: ModelState, now: number): void {
    this.published = model.updates;
    const value: PublishedModel = {
      version: modelVersion(model),
      publishedAt: now,
      examples: model.updates,
      model: structuredClone(model),
    };
    this.ctx.forward(new StreamRecord(FLEET_MODEL_KEY, value, now));
  }
}

export interface TrainerTopologyOptions {
  /** The failure-risk app's id: the trainer's is `<id>-trainer`, the topics `<id>-risk-*`. */
  applicationId?: string;
  examplesTopic?: string;
  modelTopic?: string;
  trainer?: Partial<TrainerOptions>;
}

export function buildRiskTrainerTopology(o: TrainerTopologyOptions = {}): Topology {
  const appId = o.applicationId ?? FAILURE_RISK_APPLICATION_ID;
  const t = new Topology(trainerApplicationId(appId));
  t.addSource({
    name: 'examples',
    topics: [o.examplesTopic ?? examplesTopic(appId)],
    keySerde: stringSerde,
    valueSerde: riskExampleSerde(),
  });
  t.addProcessor('risk-trainer', () => new RiskTrainerProcessor(o.trainer), ['examples']);
  t.addStateStore(
    keyValueStoreSpec<string, ModelState>(TRAINER_STORE, {
      keySerde: stringSerde,
      valueSerde: jsonSerde<ModelState>(),
      decodedCacheMaxBytes: 64 * 1024,
    }),
    ['risk-trainer'],
  );
  t.addSink(
    {
      name: 'model-out',
      topic: o.modelTopic ?? modelTopic(appId),
      keySerde: stringSerde,
      valueSerde: jsonSerde<PublishedModel>(),
      partitioner: () => 0,
    },
    ['risk-trainer'],
  );
  return t;
}

/**
 * Creates the examples topic (7 days of retention: enough to retrain from) and the compacted model
 * topic, one partition each, if missing, and waits until both have a leader.
 */
export async function ensureFleetModelTopics(
  admin: Admin,
  applicationId: string,
  replicationFactor = 1,
  timeoutMs = 30_000,
): Promise<void> {
  const wanted = [
    {
      topic: examplesTopic(applicationId),
      numPartitions: 1,
      replicationFactor,
      configEntries: [{ name: 'retention.ms', value: String(7 * 86_400_000) }],
    },
    {
      topic: modelTopic(applicationId),
      numPartitions: 1,
      replicationFactor,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    },
  ];
  await createTopicsAndWait(admin, wanted, timeoutMs);
}
