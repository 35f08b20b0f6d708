/**
 * Which resources to probe, where: the deployments table names each resource's primary (host and
 * address); a shadow promoted since (shadow.state PROMOTED, newer than the deployment) is where
 * the resource lives now, so the probers follow a failover instead of probing the dead address for
 * ever. Per-resource tuning comes from the deployment's config: `probe.intervalMs`,
 * `probe.downAfterMs`, `probe.timeoutMs`, and `probe.enabled: "false"` to leave it out. A value
 * that is not a positive integer is ignored (the prober's default holds) and reported. A prober
 * given a group probes only the resources whose `probe.group` names it (probers sharded by region
 * or team; a drill's probers on a shared stack).
 */
import type { Deployment } from '../../schemas/records/deployment.js';
import type { ShadowState } from '../../schemas/records/shadow-state.js';
import { parseHostPort } from './address.js';
import type { ProbeTarget } from './probe-types.js';

export interface ProbeDefaults {
  intervalMs: number;
  downAfterMs: number;
  /** Undefined: each resource's down-after. */
  timeoutMs?: number;
  /** Only resources whose `probe.group` equals it; undefined: every resource. */
  group?: string;
}

/** The role each resource kind must answer with when probed (its primary's). */
const EXPECTED_ROLE: Record<string, string> = { redis: 'master' };

export class ProbeTargetTable {
  private readonly deployments = new Map<string, Deployment>();
  private readonly promoted = new Map<string, ShadowState>();
  /** Problems already reported (the table is re-read on every record; each is said once). */
  private readonly reported = new Set<string>();

  constructor(
    private readonly defaults: ProbeDefaults,
    /** Resource kinds some probe of this prober can check. */
    private readonly kinds: (kind: string) => boolean,
    private readonly warn: (msg: string, fields: Record<string, unknown>) => void = () => {},
  ) {}

  onDeployment(resourceId: string, d: Deployment | null): void {
    if (d === null || d.outcome === 'REMOVED') this.deployments.delete(resourceId);
    else this.deployments.set(resourceId, d);
  }

  onShadowState(resourceId: string, s: ShadowState | null): void {
    if (s !== null && s.state === 'PROMOTED' && s.shadowAddress !== '') this.promoted.set(resourceId, s);
    else if (s === null) this.promoted.delete(resourceId);
  }

  targets(): ProbeTarget[] {
    const out: ProbeTarget[] = [];
    for (const d of this.deployments.values()) {
      const t = this.targetOf(d);
      if (t) out.push(t);
    }
    return out.sort((a, b) => (a.resourceId < b.resourceId ? -1 : a.resourceId > b.resourceId ? 1 : 0));
  }

  private targetOf(d: Deployment): ProbeTarget | undefined {
    if (!this.kinds(d.kind) || d.config['probe.enabled'] === 'false') return undefined;
    if (this.defaults.group !== undefined && d.config['probe.group'] !== this.defaults.group) return undefined;
    const p = this.promoted.get(d.resourceId);
    const moved = p !== undefined && p.updatedAt >= d.deployedAt;
    const host = moved ? p.shadowHost : d.host;
    const address = moved ? p.shadowAddress : d.address;
    if (!address) return undefined;
    try {
      parseHostPort(address, 'address', 6379);
    } catch {
      this.report('resource address is not host:port; not probed', { resourceId: d.resourceId, address });
      return undefined;
    }
    const intervalMs = this.setting(d, 'probe.intervalMs') ?? this.defaults.intervalMs;
    const downAfterMs = this.setting(d, 'probe.downAfterMs') ?? this.defaults.downAfterMs;
    return {
      resourceId: d.resourceId,
      host,
      region: d.region,
      kind: d.kind,
      address,
      expectedRole: EXPECTED_ROLE[d.kind] ?? '',
      intervalMs,
      downAfterMs,
      timeoutMs: this.setting(d, 'probe.timeoutMs') ?? this.defaults.timeoutMs ?? downAfterMs,
    };
  }

  private setting(d: Deployment, name: string): number | undefined {
    const raw = d.config[name];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (Number.isInteger(n) && n > 0) return n;
    this.report('probe setting is not a positive integer; using the default', { resourceId: d.resourceId, name, raw });
    return undefined;
  }

  private report(msg: string, fields: Record<string, unknown>): void {
    const key = `${msg}|${JSON.stringify(fields)}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.warn(msg, fields);
  }
}
