/**
 * Capacity profiler.
 *
 * Input: HostSample records (metrics.samples, re-keyed by region upstream so one task sees a whole
 * region). A sample tagged `service` (and optionally `instance`) counts for that region × service
 * as well as for the region; untagged samples count for the region only.
 * Output: CapacityFingerprint records keyed by region (region.capacity, compacted).
 * Stores: `capacity-fingerprint-panes` (region␟service␟pane → mergeable pane accumulators; untagged
 * samples under the empty service, the region view being the merge of all),
 * `capacity-fingerprint-means` (region␟scope → decayed means), `capacity-fingerprint-emitted`
 * (region → last emitted version and profile).
 * Time: event time. Panes of `paneMs` form a sliding window of `windowMs`; a stream-time
 * punctuator every `checkIntervalMs` rebuilds each region's profile and emits a fingerprint when
 * it changed materially or `emitIntervalMs` passed since the last one.
 */
import type { CapacityFingerprint } from '../../../schemas/records/capacity-fingerprint.js';
import type { HostSample } from '../../../schemas/records/host-sample.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import { StreamRecord } from '../../runtime/record.js';
import type { KeyValueStore } from '../../state/store.js';
import { DEFAULT_CHANGE_THRESHOLDS, materialChanges } from './change.js';
import { decodeFingerprint, encodeFingerprint, FINGERPRINT_FORMAT_VERSION } from './fingerprint-codec.js';
import { CAPACITY_METRICS, type CapacityMetric, INSTANCE_TAG, type MetricSources, SERVICE_TAG } from './metrics.js';
import { EMITTED_STORE, MEANS_STORE, PANES_STORE } from './names.js';
import { type CapacityOptions, type CapacityOptionsInput, capacityOptions } from './options.js';
import {
  addToPane,
  buildProfile,
  type CapacityProfile,
  type DecayedMeans,
  mergePanes,
  newDecayedMeans,
  newPane,
  type PaneState,
  type ScopeWindow,
  updateDecayedMeans,
} from './profile.js';
import type { EmittedFingerprint } from './state-serde.js';

/** Scope name of region-wide accumulators (a service name is never empty). */
export const REGION_SCOPE = '';
const SEP = '\u001f';

/** The fields of a HostSample (schemas/records/host-sample.ts) this processor reads. */
export type CapacitySample = Pick<HostSample, 'host' | 'region' | 'timestamp' | 'metrics'> &
  Partial<Pick<HostSample, 'tags'>>;

export function paneKey(region: string, scope: string, paneStart: number): string {
  // Zero-padded so the store's byte order is time order within a scope.
  return `${region}${SEP}${scope}${SEP}${String(paneStart).padStart(15, '0')}`;
}

export function meansKey(region: string, scope: string): string {
  return `${region}${SEP}${scope}`;
}

export function splitKey(key: string): string[] {
  return key.split(SEP);
}

/** Picks the capacity metrics out of a sample's metric map. */
export function capacityValues(
  metrics: Record<string, number>,
  names: MetricSources,
): Partial<Record<CapacityMetric, number>> {
  const out: Partial<Record<CapacityMetric, number>> = {};
  for (const metric of CAPACITY_METRICS) {
    const sources = names[metric];
    let sum = 0;
    let seen = false;
    for (const name of typeof sources === 'string' ? [sources] : sources) {
      const v = metrics[name];
      if (typeof v === 'number' && Number.isFinite(v)) {
        sum += v;
        seen = true;
      }
    }
    if (seen) out[metric] = sum;
  }
  return out;
}

/** Turns a profile into the record published on region.capacity. */
export function fingerprintRecord(
  profile: CapacityProfile,
  version: number,
  emittedAt: number,
  relativeAccuracy: number,
): CapacityFingerprint {
  return {
    region: profile.region,
    version,
    formatVersion: FINGERPRINT_FORMAT_VERSION,
    windowStart: profile.windowStart,
    windowEnd: profile.windowEnd,
    hostCount: profile.hostCount,
    instanceCount: profile.instanceCount,
    serviceCount: profile.services.length,
    encoded: encodeFingerprint(profile, { relativeAccuracy }),
    emittedAt,
  };
}

export class CapacityFingerprintProcessor implements Processor<string, CapacitySample, string, CapacityFingerprint> {
  private readonly options: CapacityOptions;
  private ctx!: ProcessorContext<string, CapacityFingerprint>;
  private panes!: KeyValueStore<string, PaneState>;
  private means!: KeyValueStore<string, DecayedMeans>;
  private emitted!: KeyValueStore<string, EmittedFingerprint>;

  constructor(options: CapacityOptionsInput = {}) {
    this.options = capacityOptions(options);
  }

  init(context: ProcessorContext<string, CapacityFingerprint>): void {
    this.ctx = context;
    this.panes = context.getKeyValueStore(PANES_STORE);
    this.means = context.getKeyValueStore(MEANS_STORE);
    this.emitted = context.getKeyValueStore(EMITTED_STORE);
    context.schedule(this.options.checkIntervalMs, 'stream-time', (ts) => this.punctuate(ts));
  }

  async process(record: StreamRecord<string, CapacitySample>): Promise<void> {
    const sample = record.value;
    // The topology's timestamp extractor already chose event time (Avro may decode it as a Date).
    const ts = record.timestamp;
    const region = sample.region;
    if (!region) return;
    const streamTime = this.ctx.streamTime();
    // Samples older than the window can no longer change any profile this processor will emit.
    if (streamTime >= 0 && ts < streamTime - this.options.windowMs) return;
    const values = capacityValues(sample.metrics, this.options.metricNames);
    const service = sample.tags?.[SERVICE_TAG];
    const instance = sample.tags?.[INSTANCE_TAG] || (service ? `${service}@${sample.host}` : sample.host);
    const paneStart = Math.floor(ts / this.options.paneMs) * this.options.paneMs;
    // A sample's sketches live in one pane only (its service's, or the region's when untagged):
    // the region-level view is the merge of all of them, so state is not stored twice.
    const pk = paneKey(region, service || REGION_SCOPE, paneStart);
    const pane = (await this.panes.get(pk)) ?? newPane(paneStart);
    addToPane(pane, sample.host, instance, values, this.options.relativeAccuracy);
    this.panes.put(pk, pane);
    // Decayed means are a few numbers per scope: keep the region's directly.
    const scopes = service ? [REGION_SCOPE, service] : [REGION_SCOPE];
    for (const scope of scopes) {
      const mk = meansKey(region, scope);
      const means = (await this.means.get(mk)) ?? newDecayedMeans(this.options.halfLivesMs);
      updateDecayedMeans(means, ts, values);
      this.means.put(mk, means);
    }
  }

  /** Rebuilds every region's profile; emits where due. Exposed for tests and wall-clock drivers. */
  async punctuate(now: number): Promise<void> {
    const regions = new Set<string>();
    for await (const kv of this.means.all()) {
      const [region, scope] = splitKey(kv.key);
      if (region !== undefined && scope === REGION_SCOPE) regions.add(region);
    }
    for (const region of regions) await this.maybeEmit(region, now);
  }

  private async maybeEmit(region: string, now: number): Promise<void> {
    const windowStart = now - this.options.windowMs;
    const byScope = new Map<string, PaneState[]>();
    const expired: string[] = [];
    for await (const kv of this.panes.range(`${region}${SEP}`, `${region}\u0020`)) {
      const [, scope] = splitKey(kv.key);
      if (scope === undefined) continue;
      if (kv.value.paneStart + this.options.paneMs <= windowStart) {
        expired.push(kv.key);
        continue;
      }
      const list = byScope.get(scope) ?? [];
      list.push(kv.value);
      byScope.set(scope, list);
    }
    for (const k of expired) this.panes.delete(k);
    const regionPanes = [...byScope.values()].flat();
    if (regionPanes.length === 0) return;
    const services = new Map<string, { window: ScopeWindow; means?: DecayedMeans }>();
    for (const [scope, panes] of byScope) {
      if (scope === REGION_SCOPE) continue;
      const means = await this.means.get(meansKey(region, scope));
      services.set(scope, { window: mergePanes(panes, this.options.relativeAccuracy), ...(means ? { means } : {}) });
    }
    const regionMeans = await this.means.get(meansKey(region, REGION_SCOPE));
    const profile = buildProfile({
      region,
      // The first pane still in the window: the profile covers whole panes.
      windowStart: Math.min(...regionPanes.map((p) => p.paneStart)),
      windowEnd: now,
      halfLivesMs: this.options.halfLivesMs,
      regionWindow: mergePanes(regionPanes, this.options.relativeAccuracy),
      ...(regionMeans ? { regionMeans } : {}),
      services,
    });
    const last = await this.emitted.get(region);
    const due = !last || now - last.emittedAt >= this.options.emitIntervalMs;
    const changed = materialChanges(
      last ? decodeFingerprint(Buffer.from(last.encoded, 'base64')) : undefined,
      profile,
      {
        ...DEFAULT_CHANGE_THRESHOLDS,
        p95Relative: this.options.p95ChangeThreshold,
      },
    );
    if (!due && changed.length === 0) return;
    const version = (last?.version ?? 0) + 1;
    const out = fingerprintRecord(profile, version, now, this.options.relativeAccuracy);
    // Remember the fingerprint, not the exact profile: the next comparison sees what consumers saw.
    this.emitted.put(region, { version, emittedAt: now, encoded: out.encoded.toString('base64') });
    this.ctx.forward(
      new StreamRecord(region, out, now, {
        'x-fingerprint-reason': due && !last ? 'first' : due ? 'schedule' : 'change',
      }),
    );
  }
}
