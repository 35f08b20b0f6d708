/**
 * Region health monitor.
 *
 * Inputs: health.risk (HostRisk, key host) and host.failures (HostFailure, key host), re-keyed by
 * region upstream (topology.ts) so that one task sees all of a region's hosts.
 * Output: RegionHealth records keyed by region (region.health, compacted), published when the
 * status, counts or reasons change, and at least every `emitIntervalMs` as a heartbeat.
 * Stores: `region-health-hosts` (region␟host → host health), `region-health-last` (region → last
 * published RegionHealth).
 * Time: event time; a stream-time punctuator every `checkIntervalMs` re-assesses every region so
 * that failures and risk readings age out even when a region goes quiet.
 */
import type { RegionHealth } from '../../../schemas/records/region-health.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import { StreamRecord } from '../../runtime/record.js';
import type { KeyValueStore } from '../../state/store.js';
import {
  applyFailure,
  applyRisk,
  assessRegion,
  type HostFailureInput,
  type HostHealth,
  type HostRiskInput,
  healthChanged,
} from './assess.js';
import { HOSTS_STORE, LAST_STORE } from './names.js';
import { type RegionHealthOptions, type RegionHealthOptionsInput, regionHealthOptions } from './options.js';

const SEP = '\u001f';

export type HealthInput = HostRiskInput | HostFailureInput;

export function isRisk(v: HealthInput): v is HostRiskInput {
  return 'pFail' in v;
}

export function hostKey(region: string, host: string): string {
  return `${region}${SEP}${host}`;
}

export class RegionHealthProcessor implements Processor<string, HealthInput, string, RegionHealth> {
  private readonly options: RegionHealthOptions;
  private ctx!: ProcessorContext<string, RegionHealth>;
  private hosts!: KeyValueStore<string, HostHealth>;
  private last!: KeyValueStore<string, RegionHealth>;

  constructor(options: RegionHealthOptionsInput = {}) {
    this.options = regionHealthOptions(options);
  }

  init(context: ProcessorContext<string, RegionHealth>): void {
    this.ctx = context;
    this.hosts = context.getKeyValueStore(HOSTS_STORE);
    this.last = context.getKeyValueStore(LAST_STORE);
    context.schedule(this.options.checkIntervalMs, 'stream-time', (ts) => this.reassessAll(ts));
  }

  async process(record: StreamRecord<string, HealthInput>): Promise<void> {
    const v = record.value;
    // Failures may omit the region; the upstream keyer then keyed them by the host's last region.
    const region = v.region || record.key;
    if (!region) return;
    const key = hostKey(region, v.host);
    const current = await this.hosts.get(key);
    const ts = record.timestamp;
    const next = isRisk(v)
      ? applyRisk(current, { host: v.host, region, timestamp: ts, pFail: v.pFail, level: v.level }, this.options.policy)
      : applyFailure(current, { host: v.host, region, timestamp: ts, kind: v.kind ?? 'OTHER' });
    this.hosts.put(key, next);
    await this.assess(region, ts, false);
  }

  async reassessAll(now: number): Promise<void> {
    const regions = new Set<string>();
    for await (const kv of this.last.all()) regions.add(kv.key);
    for (const region of regions) await this.assess(region, now, true);
  }

  private async assess(region: string, now: number, heartbeat: boolean): Promise<void> {
    const hosts: HostHealth[] = [];
    for await (const kv of this.hosts.range(`${region}${SEP}`, `${region}\u0020`)) hosts.push(kv.value);
    const health = assessRegion(region, hosts, now, this.options.policy);
    const previous = await this.last.get(region);
    const due = heartbeat && previous !== undefined && now - previous.timestamp >= this.options.emitIntervalMs;
    if (!healthChanged(previous, health) && !due) return;
    this.last.put(region, health);
    this.ctx.forward(new StreamRecord(region, health, now));
  }
}
