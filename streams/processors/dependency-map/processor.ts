/**
 * Dependency mapper.
 *
 * Inputs: four evidence topics (topology.configs, topology.discovery, topology.flows,
 * topology.spans; JSON). `EvidenceTagger` reads them, tags each record with its evidence kind and
 * re-keys it by region (repartitioned so one task owns a region); `DependencyMapProcessor` folds
 * the tagged evidence into the region's state.
 * Output: DependencyDag records keyed by region (region.dependencies, compacted); `dag` is JSON in
 * the format of docs/dag-format.md.
 * Stores: `dependency-map-state` (region → directory, edges with per-kind evidence, pending
 * observations, last published version and shape).
 * Time: event time for evidence ages; a stream-time punctuator every `checkIntervalMs` (and a
 * wall-clock one, so edges decay even when evidence stops) publishes a DAG when its shape changed
 * or `emitIntervalMs` passed.
 */
import type { DependencyDag } from '../../../schemas/records/dependency-dag.js';
import { ForeshadowError } from '../../runtime/errors.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import { StreamRecord } from '../../runtime/record.js';
import type { KeyValueStore } from '../../state/store.js';
import { invalidRecord } from '../../validation/checks.js';
import type { DagDocument } from './dag.js';
import { type EvidenceKind, evidenceProblems, isEvidence } from './evidence.js';
import {
  evidenceRegion,
  ingestEvidence,
  type MapperOptions,
  newRegionState,
  nextDag,
  type RegionDependencyState,
} from './mapper.js';
import { STATE_STORE } from './names.js';
import {
  type DependencyMapOptions,
  type DependencyMapOptionsInput,
  dependencyMapOptions,
  mapperOptions,
} from './options.js';

/** A tagged evidence record, as it travels through the repartition topic. */
export interface TaggedEvidence {
  kind: EvidenceKind;
  /** The source record's key (service for configs/discovery), used when the payload omits it. */
  key?: string;
  value: unknown;
}

export function dagRecord(dag: DagDocument): DependencyDag {
  return {
    region: dag.region,
    version: dag.version,
    generatedAt: dag.generatedAt,
    nodeCount: dag.nodes.length,
    edgeCount: dag.edges.length,
    cycleCount: dag.cycles.length,
    levelCount: dag.levels.length,
    dag: JSON.stringify(dag),
  };
}

/** Tags evidence with its kind (from the source topic) and re-keys it by region. */
export class EvidenceTagger implements Processor<string | null, unknown, string, TaggedEvidence> {
  private readonly options: DependencyMapOptions;
  private readonly kinds: Map<string, EvidenceKind>;
  private ctx!: ProcessorContext<string, TaggedEvidence>;

  constructor(options: DependencyMapOptionsInput = {}) {
    this.options = dependencyMapOptions(options);
    const t = this.options.topics;
    this.kinds = new Map<string, EvidenceKind>([
      [t.configs, 'config'],
      [t.discovery, 'discovery'],
      [t.flows, 'flow'],
      [t.spans, 'span'],
    ]);
  }

  init(context: ProcessorContext<string, TaggedEvidence>): void {
    this.ctx = context;
  }

  process(record: StreamRecord<string | null, unknown>): void {
    const topic = this.ctx.recordMetadata()?.topic;
    const kind = topic ? this.kinds.get(topic) : undefined;
    if (!kind) return;
    // Evidence topics are event streams, not tables: a null or a shape no parser knows is bad
    // input, dead-lettered with the reason instead of vanishing in the mapper.
    if (record.value === null || record.value === undefined) {
      throw new ForeshadowError('VALIDATION_FAILED', `null ${kind} record: evidence topics carry no tombstones`);
    }
    if (!isEvidence(kind, record.value, record.key ?? undefined)) {
      throw new ForeshadowError('VALIDATION_FAILED', `not a ${kind} record of an accepted shape (docs/dag-format.md)`);
    }
    const problems = evidenceProblems(kind, record.value);
    if (problems.length > 0) throw invalidRecord(`${kind} evidence`, problems);
    const region = evidenceRegion(kind, record.value) ?? this.options.defaultRegion;
    const tagged: TaggedEvidence = { kind, value: record.value, ...(record.key ? { key: record.key } : {}) };
    this.ctx.forward(record.withKey(region).withValue(tagged));
  }
}

export class DependencyMapProcessor implements Processor<string, TaggedEvidence, string, DependencyDag> {
  private readonly options: DependencyMapOptions;
  private readonly mapper: MapperOptions;
  private ctx!: ProcessorContext<string, DependencyDag>;
  private store!: KeyValueStore<string, RegionDependencyState>;

  constructor(options: DependencyMapOptionsInput = {}) {
    this.options = dependencyMapOptions(options);
    this.mapper = mapperOptions(this.options);
  }

  init(context: ProcessorContext<string, DependencyDag>): void {
    this.ctx = context;
    this.store = context.getKeyValueStore(STATE_STORE);
    context.schedule(this.options.checkIntervalMs, 'stream-time', (ts) => this.publish(ts));
    // Wall-clock too, so edges decay when evidence stops; never behind stream time, so a test clock
    // starting at zero cannot make a DAG look older than its evidence.
    context.schedule(this.options.checkIntervalMs, 'wall-clock', (ts) =>
      this.publish(Math.max(ts, this.ctx.streamTime())),
    );
  }

  async process(record: StreamRecord<string, TaggedEvidence>): Promise<void> {
    const region = record.key || this.options.defaultRegion;
    const state = (await this.store.get(region)) ?? newRegionState(region);
    const ok = ingestEvidence(
      state,
      record.value.kind,
      record.value.value,
      record.timestamp,
      this.mapper,
      record.value.key,
    );
    if (ok) this.store.put(region, state);
  }

  /** Publishes every region whose DAG is due. Exposed for drivers that punctuate by hand. */
  async publish(now: number): Promise<void> {
    if (now < 0) return;
    const states: RegionDependencyState[] = [];
    for await (const kv of this.store.all()) states.push(kv.value);
    for (const state of states) {
      const dag = nextDag(state, now, this.options.emitIntervalMs, this.mapper);
      // State changes even without a new DAG (pending retried, edges decayed): keep it.
      this.store.put(state.region, state);
      if (dag) this.ctx.forward(new StreamRecord(state.region, dagRecord(dag), now));
    }
  }
}
