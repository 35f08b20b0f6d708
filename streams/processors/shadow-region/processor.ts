/**
 * Shadow region manager.
 *
 * Inputs: region.capacity (CapacityFingerprint, key region), region.dependencies (DependencyDag,
 * key region) and the deployments table (Deployment, key resourceId), which the topology re-keys
 * by region through a repartition topic so that one task sees a region's fingerprint, DAG and
 * deployments together. A deployment with outcome REMOVED leaves the table.
 * Output: ShadowBlueprint records keyed by primary region (region.blueprints, compacted).
 * Stores: `shadow-region-inputs` (region → latest fingerprint and DAG), `shadow-region-deployments`
 * (resourceId → deployment row), `shadow-region-blueprints` (region → last version and shape).
 * Time: a blueprint is rebuilt whenever a fingerprint or DAG for its region arrives, and after
 * deployment changes at the next check (stream-time or wall-clock, every `checkIntervalMs`); it is
 * published when its content changed.
 */
import type { CapacityFingerprint } from '../../../schemas/records/capacity-fingerprint.js';
import type { DependencyDag } from '../../../schemas/records/dependency-dag.js';
import type { ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import { StreamRecord } from '../../runtime/record.js';
import type { KeyValueStore } from '../../state/store.js';
import { decodeFingerprint } from '../capacity-fingerprint/fingerprint-codec.js';
import type { DagDocument } from '../dependency-map/dag.js';
import { blueprintShape, buildBlueprint, type DeploymentRow } from './blueprint.js';
import { BLUEPRINTS_STORE, DEPLOYMENTS_STORE, INPUTS_STORE } from './names.js';
import { type ShadowRegionOptions, type ShadowRegionOptionsInput, shadowRegionOptions } from './options.js';

export interface RegionInputs {
  fingerprint?: { version: number; emittedAt: number; encoded: string };
  dag?: { version: number; generatedAt: number; dag: string };
  /** Deployments changed since the last build. */
  dirty: boolean;
}

export interface BlueprintMemo {
  version: number;
  shape: string;
  builtAt: number;
}

export type ShadowInput = CapacityFingerprint | DependencyDag | DeploymentRow;

export function shadowRegionName(
  primary: string,
  options: Pick<ShadowRegionOptions, 'shadowRegions' | 'shadowSuffix'>,
): string {
  return options.shadowRegions[primary] ?? `${primary}${options.shadowSuffix}`;
}

function isFingerprint(v: ShadowInput): v is CapacityFingerprint {
  return 'encoded' in v;
}

function isDag(v: ShadowInput): v is DependencyDag {
  return 'dag' in v && typeof v.dag === 'string';
}

function toBuffer(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data);
  // JSON serdes turn a Buffer into {type: 'Buffer', data: [...]}.
  if (typeof data === 'object' && data !== null && Array.isArray((data as { data?: unknown }).data)) {
    return Buffer.from((data as { data: number[] }).data);
  }
  if (typeof data === 'string') return Buffer.from(data, 'base64');
  throw new Error('fingerprint bytes in an unknown representation');
}

export class ShadowRegionProcessor implements Processor<string, ShadowInput | null, string, ShadowBlueprint> {
  private readonly options: ShadowRegionOptions;
  private ctx!: ProcessorContext<string, ShadowBlueprint>;
  private inputs!: KeyValueStore<string, RegionInputs>;
  private deployments!: KeyValueStore<string, DeploymentRow>;
  private memos!: KeyValueStore<string, BlueprintMemo>;

  constructor(options: ShadowRegionOptionsInput = {}) {
    this.options = shadowRegionOptions(options);
  }

  init(context: ProcessorContext<string, ShadowBlueprint>): void {
    this.ctx = context;
    this.inputs = context.getKeyValueStore(INPUTS_STORE);
    this.deployments = context.getKeyValueStore(DEPLOYMENTS_STORE);
    this.memos = context.getKeyValueStore(BLUEPRINTS_STORE);
    context.schedule(this.options.checkIntervalMs, 'stream-time', (ts) => this.rebuildDirty(ts));
    // Deployments change without moving stream time (a table, not a stream of events): check by
    // wall clock too, never stamping a blueprint earlier than the inputs it was built from.
    context.schedule(this.options.checkIntervalMs, 'wall-clock', (ts) =>
      this.rebuildDirty(Math.max(ts, this.ctx.streamTime())),
    );
  }

  async process(record: StreamRecord<string, ShadowInput | null>): Promise<void> {
    const v = record.value;
    if (v === null || v === undefined) {
      // A tombstone on the deployments table removes the row.
      if (record.key) this.deployments.delete(record.key);
      return;
    }
    if (isFingerprint(v)) {
      const current = (await this.inputs.get(v.region)) ?? { dirty: false };
      if (current.fingerprint && current.fingerprint.version >= v.version) return;
      current.fingerprint = {
        version: Number(v.version),
        emittedAt: Number(v.emittedAt),
        encoded: toBuffer(v.encoded).toString('base64'),
      };
      this.inputs.put(v.region, current);
      await this.rebuild(v.region, record.timestamp);
    } else if (isDag(v)) {
      const current = (await this.inputs.get(v.region)) ?? { dirty: false };
      if (current.dag && current.dag.version >= v.version) return;
      current.dag = { version: Number(v.version), generatedAt: Number(v.generatedAt), dag: v.dag };
      this.inputs.put(v.region, current);
      await this.rebuild(v.region, record.timestamp);
    } else if ('resourceId' in v) {
      const row: DeploymentRow = { ...v, deployedAt: Number(v.deployedAt) };
      const previous = await this.deployments.get(row.resourceId);
      if (row.outcome === 'REMOVED') this.deployments.delete(row.resourceId);
      else this.deployments.put(row.resourceId, row);
      // Deployments arrive in bursts: mark the regions and rebuild once at the next check.
      for (const region of new Set([row.region, previous?.region].filter((r): r is string => !!r))) {
        const current = (await this.inputs.get(region)) ?? { dirty: false };
        if (!current.dirty) this.inputs.put(region, { ...current, dirty: true });
      }
    }
  }

  async rebuildDirty(now: number): Promise<void> {
    const dirty: string[] = [];
    for await (const kv of this.inputs.all()) if (kv.value.dirty) dirty.push(kv.key);
    for (const region of dirty) await this.rebuild(region, now);
  }

  /** Rebuilds a region's blueprint and publishes it when its content changed. */
  async rebuild(region: string, now: number): Promise<void> {
    const inputs = (await this.inputs.get(region)) ?? { dirty: false };
    if (inputs.dirty) this.inputs.put(region, { ...inputs, dirty: false });
    // Without a fingerprint or a DAG there is nothing to size or order yet.
    if (!inputs.fingerprint && !inputs.dag) return;
    const rows: DeploymentRow[] = [];
    for await (const kv of this.deployments.all()) if (kv.value.region === region) rows.push(kv.value);
    const memo = await this.memos.get(region);
    const blueprint = buildBlueprint(
      {
        primaryRegion: region,
        shadowRegion: shadowRegionName(region, this.options),
        ...(inputs.fingerprint
          ? { profile: decodeFingerprint(Buffer.from(inputs.fingerprint.encoded, 'base64')) }
          : {}),
        fingerprintVersion: inputs.fingerprint?.version ?? 0,
        ...(inputs.dag ? { dag: JSON.parse(inputs.dag.dag) as DagDocument } : {}),
        deployments: rows,
        builtAt: now,
        version: (memo?.version ?? 0) + 1,
      },
      this.options,
    );
    const shape = blueprintShape(blueprint);
    if (memo && memo.shape === shape) return;
    this.memos.put(region, { version: blueprint.version, shape, builtAt: now });
    const ages: Record<string, string> = {};
    if (inputs.fingerprint) ages['x-fingerprint-age-ms'] = String(Math.max(0, now - inputs.fingerprint.emittedAt));
    if (inputs.dag) ages['x-dag-age-ms'] = String(Math.max(0, now - inputs.dag.generatedAt));
    this.ctx.forward(new StreamRecord(region, blueprint, now, ages));
  }
}
