/**
 * Predictive failure analysis: metrics.samples (HostSample, key = host) -> health.risk (HostRisk,
 * key = host), labelling examples from host.failures (HostFailure, key = host) and failed
 * deployments in the deployments table (Deployment, key = resourceId, re-keyed by host through an
 * internal topic).
 *
 * The model is the fleet's (fleet-model.ts): every task scores with the latest model its
 * `ModelFeed` holds and sends its labelled examples (RiskExample, to the `examples-out` child) to
 * the fleet's one trainer instead of training a model of its own.
 *
 * Stores:
 * - `failure-risk-hosts` (host -> HostRiskState): streaming scorer, baselines, trend windows, the
 *   risk history and the examples waiting for their label;
 * - `failure-risk-deployments` (resourceId -> last seen outcome), so a redelivered or compacted
 *   deployment record is not counted as a new failure.
 * (Before the fleet model, a `failure-risk-model` store held one model per task; it is no longer
 * read, and its changelog topic can be deleted.)
 * Time: event time of samples and of outcomes; labels are assigned one horizon after a sample.
 */
import type { Deployment } from '../../../schemas/records/deployment.js';
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { HostRisk } from '../../../schemas/records/host-risk.js';
import type { HostSample } from '../../../schemas/records/host-sample.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import { StreamRecord } from '../../runtime/record.js';
import type { KeyValueStore } from '../../state/store.js';
import { type LastEmitted, lastEmitted, shouldEmit } from './emission.js';
import { type ModelFeed, priorModelFeed, type RiskExample } from './fleet-model.js';
import { DEPLOYMENT_STORE, HOST_STORE } from './names.js';
import { type FailureRiskOptions, failureRiskOptions, riskOptions } from './options.js';
import {
  applyOutcome,
  evaluateSample,
  evaluateSilence,
  type HostRiskState,
  type Learner,
  newHostRiskState,
  type RiskOptions,
} from './risk-engine.js';

/** The fields of a deployments record (schemas/records/deployment.ts) the risk model reads. */
export type DeploymentInput = Pick<Deployment, 'resourceId' | 'host' | 'region' | 'outcome' | 'deployedAt'>;

/** Children of the risk processors: the health.risk sink and the labelled examples' sink. */
export const RISK_CHILD = 'risk-out';
export const EXAMPLES_CHILD = 'examples-out';

/** A failed deployment, re-keyed by host. */
export interface DeploymentLabel {
  host: string;
  resourceId: string;
  at: number;
}

abstract class RiskStateAccess {
  protected hosts!: KeyValueStore<string, HostRiskState>;
  private examplesCtx!: ProcessorContext<unknown, unknown>;

  constructor(protected readonly feed: ModelFeed) {}

  protected open(ctx: ProcessorContext<unknown, unknown>): void {
    this.hosts = ctx.getKeyValueStore<string, HostRiskState>(HOST_STORE);
    this.examplesCtx = ctx;
  }

  /** Labelled examples of `host` go to the fleet's trainer (in this task's transaction). */
  protected learner(host: string): Learner {
    return (x, label, weight, t) => {
      const example: RiskExample = { host, t, label, weight, x };
      this.examplesCtx.forward(new StreamRecord(host, example, t), EXAMPLES_CHILD);
    };
  }
}

/**
 * Silent hosts evaluated per wall-clock tick (a tick a second while a check is under way). The
 * runtime commits between ticks, so this bounds the host states a check holds in the write cache:
 * when a rack goes dark, evaluating all of a task's hosts in one punctuation held tens of thousands
 * of states at once (the 100k-host benchmark ran out of heap that way).
 */
export const SILENCE_SLICE = 1_000;
const SILENCE_TICK_MS = 1_000;

/** What the silence check needs to know of a host without decoding its state. */
interface SilenceWatch {
  lastSeenWall: number;
  intervalMs: number;
}

/** Hosts in store-key order (the order a full scan of the store visits them). */
function byKeyBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Scores every sample and publishes the host's risk. */
export class FailureRiskProcessor extends RiskStateAccess implements Processor<string, HostSample, string, HostRisk> {
  private ctx!: ProcessorContext<string, HostRisk>;
  private readonly opts: FailureRiskOptions;
  private readonly risk: RiskOptions;
  /**
   * Per host of this task, kept up to date by `process` so the silence check picks its candidates
   * without decoding every host state each minute (at 100k hosts that was seconds of CPU and a
   * heap full of states). Built by one scan of the store at the first check; a new processor
   * instance (after a rewind or a rebalance) scans again.
   */
  private watch: Map<string, SilenceWatch> | undefined;
  /** The silence check under way: its candidates (store-key order) and how far it got. */
  private pass: { candidates: string[]; next: number } | undefined;
  private nextCheckAt = Number.POSITIVE_INFINITY;
  /**
   * What was last published per host (with `emitEveryMs`). Memory only: a new processor instance
   * (restart, rebalance, or the rewind after an aborted commit) publishes each host's next risk,
   * so nothing an aborted transaction held back is lost.
   */
  private readonly emitted = new Map<string, LastEmitted>();

  constructor(options: Partial<FailureRiskOptions> = {}, feed: ModelFeed = priorModelFeed()) {
    super(feed);
    this.opts = failureRiskOptions(options);
    this.risk = riskOptions(this.opts);
  }

  init(ctx: ProcessorContext<string, HostRisk>): void {
    this.ctx = ctx;
    this.open(ctx as ProcessorContext<unknown, unknown>);
    // Wall clock, not stream time: when every host of a task goes quiet, stream time stops too.
    this.nextCheckAt = ctx.wallClockTime() + this.opts.silenceCheckMs;
    ctx.schedule(Math.min(SILENCE_TICK_MS, this.opts.silenceCheckMs), 'wall-clock', (now) => this.silenceTick(now));
  }

  /**
   * Every `silenceCheckMs` a check publishes a risk record (missing samples as evidence) for each
   * host that went silent, SILENCE_SLICE hosts per tick.
   */
  private async silenceTick(now: number): Promise<void> {
    // Built on the first tick, while the store holds little more than what was restored; built at
    // the first check instead, it decoded every host seen since start-up in one burst (the 100k-host
    // benchmark's heap spiked by ~300 MB there). `process` keeps it current afterwards.
    this.watch ??= await this.scanWatch();
    if (!this.pass) {
      if (now < this.nextCheckAt) return;
      const every = this.opts.silenceCheckMs;
      this.nextCheckAt += Math.floor((now - this.nextCheckAt) / every + 1) * every;
      this.pass = { candidates: this.silentCandidates(this.watch, now), next: 0 };
    }
    const pass = this.pass;
    const slice = pass.candidates.slice(pass.next, pass.next + SILENCE_SLICE);
    pass.next += slice.length;
    if (pass.next >= pass.candidates.length) this.pass = undefined;
    if (slice.length > 0) await this.reportSilent(slice, now);
  }

  /** What the silence check needs of every host in the store (one decode each). */
  private async scanWatch(): Promise<Map<string, SilenceWatch>> {
    const watch = new Map<string, SilenceWatch>();
    for await (const { value } of this.hosts.all()) watch.set(value.host, watchOf(value));
    return watch;
  }

  /** Hosts silent at `now` by what `process` last saw: a superset of what evaluateSilence reports. */
  private silentCandidates(watch: ReadonlyMap<string, SilenceWatch>, now: number): string[] {
    const candidates: string[] = [];
    for (const [host, w] of watch) {
      if (w.intervalMs > 0 && w.lastSeenWall > 0 && now - w.lastSeenWall >= this.opts.silentIntervals * w.intervalMs)
        candidates.push(host);
    }
    return candidates.sort(byKeyBytes);
  }

  private async reportSilent(hosts: readonly string[], now: number): Promise<void> {
    const model = this.feed.current();
    for (const host of hosts) {
      const state = await this.hosts.get(host);
      if (!state) {
        this.watch?.delete(host);
        continue;
      }
      const risk = evaluateSilence(state, model, now, this.risk, this.opts.silentIntervals);
      if (!risk) continue;
      this.hosts.put(state.host, state);
      this.publish(state.host, risk, risk.timestamp);
    }
  }

  async process(record: StreamRecord<string, HostSample>): Promise<void> {
    const sample = record.value;
    const host = sample.host || record.key;
    const state = (await this.hosts.get(host)) ?? newHostRiskState(host, sample.region, sample.zone);
    const risk = evaluateSample(
      state,
      this.feed.current(),
      sample,
      this.risk,
      this.opts.learn ? this.learner(host) : false,
    );
    state.lastSeenWall = this.ctx.wallClockTime();
    this.hosts.put(host, state);
    this.watch?.set(host, watchOf(state));
    if (shouldEmit(this.emitted.get(host), risk, this.opts)) this.publish(host, risk, sample.timestamp);
  }

  /** Sends a host's risk to health.risk, remembering it when emission is on material change. */
  private publish(host: string, risk: HostRisk, timestamp: number): void {
    if (this.opts.emitEveryMs > 0) this.emitted.set(host, lastEmitted(risk));
    this.ctx.forward(new StreamRecord(host, risk, timestamp), RISK_CHILD);
  }
}

function watchOf(state: HostRiskState): SilenceWatch {
  return { lastSeenWall: state.lastSeenWall, intervalMs: state.features.intervalMs };
}

/** Labels a host's pending examples with an outcome (host failure, failed deployment) for the trainer. */
export class RiskOutcomeProcessor
  extends RiskStateAccess
  implements Processor<string, HostFailure | DeploymentLabel, string, RiskExample>
{
  private readonly opts: FailureRiskOptions;
  private readonly risk: RiskOptions;

  constructor(
    private readonly kind: 'host-failure' | 'deployment-failure',
    options: Partial<FailureRiskOptions> = {},
    feed: ModelFeed = priorModelFeed(),
  ) {
    super(feed);
    this.opts = failureRiskOptions(options);
    this.risk = riskOptions(this.opts);
  }

  init(ctx: ProcessorContext<string, RiskExample>): void {
    this.open(ctx as ProcessorContext<unknown, unknown>);
  }

  async process(record: StreamRecord<string, HostFailure | DeploymentLabel>): Promise<void> {
    const v = record.value;
    const host = v.host || record.key;
    const at = 'at' in v ? v.at : v.timestamp;
    const state = (await this.hosts.get(host)) ?? newHostRiskState(host);
    if (!this.opts.learn) return;
    applyOutcome(state, this.feed.current(), at, this.kind, this.risk, this.learner(host));
    this.hosts.put(host, state);
  }
}

/** deployments (key = resourceId) -> a label keyed by host for each newly FAILED deployment. */
export class DeploymentLabelProcessor implements Processor<string, DeploymentInput | null, string, DeploymentLabel> {
  private ctx!: ProcessorContext<string, DeploymentLabel>;
  private seen!: KeyValueStore<string, string>;

  init(ctx: ProcessorContext<string, DeploymentLabel>): void {
    this.ctx = ctx;
    this.seen = ctx.getKeyValueStore<string, string>(DEPLOYMENT_STORE);
  }

  async process(record: StreamRecord<string, DeploymentInput | null>): Promise<void> {
    const d = record.value;
    if (d === null || d === undefined) return; // tombstone: the resource was removed
    const mark = `${d.outcome}@${d.deployedAt}`;
    if ((await this.seen.get(d.resourceId)) === mark) return;
    this.seen.put(d.resourceId, mark);
    if (d.outcome !== 'FAILED' || !d.host) return;
    this.ctx.forward(
      new StreamRecord(d.host, { host: d.host, resourceId: d.resourceId, at: d.deployedAt }, d.deployedAt),
    );
  }
}
