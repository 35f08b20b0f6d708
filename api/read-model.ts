/**
 * The API's read model: the latest value per key of the processors' output tables (shadow.state,
 * health.risk, region.blueprints, region.dependencies, region.health) and of the input tables hosts
 * and deployments, plus the recent failover.events. It holds nothing the topics do not: it is
 * rebuilt from them on every start (`read-model-feed.ts`), so the API keeps no private state.
 * Queries return plain JSON a dashboard can render (fleet, risk, shadows, regions, DAG, events).
 */
import { planLevels } from '../streams/processors/failover-orchestrator/region-failover.js';
import type {
  DependencyDag,
  FailoverEvent,
  RegionHealth,
  ShadowBlueprint,
} from '../streams/processors/failover-orchestrator/types.js';
import { isActive } from '../streams/processors/shadow-manager/lifecycle.js';
import { type ShadowHoursReport, shadowHours } from '../streams/processors/shadow-manager/retirement.js';
import type {
  Deployment,
  Host,
  HostRisk,
  ShadowLifecycle,
  ShadowState,
} from '../streams/processors/shadow-manager/types.js';

export type ReadModelTable =
  | 'hosts'
  | 'deployments'
  | 'risk'
  | 'shadows'
  | 'blueprints'
  | 'dags'
  | 'regionHealth'
  | 'events';

/** Which catalogue topic feeds which table. */
export const READ_MODEL_TOPICS: Readonly<Record<ReadModelTable, string>> = {
  hosts: 'hosts',
  deployments: 'deployments',
  risk: 'health.risk',
  shadows: 'shadow.state',
  blueprints: 'region.blueprints',
  dags: 'region.dependencies',
  regionHealth: 'region.health',
  events: 'failover.events',
};

export interface FleetHost {
  host: string;
  region: string;
  zone: string;
  rack: string;
  state: string;
  cpuCores: number;
  memoryMb: number;
  risk: Pick<HostRisk, 'pFail' | 'level' | 'rising' | 'deviating' | 'timeToFailureMs' | 'timestamp'> | null;
  resources: string[];
  shadowsHosted: string[];
}

/** A host seen in metrics (it has a risk record) that the hosts table does not list. */
export interface UnknownHost {
  host: string;
  region: string;
  zone: string;
  /** Event time of its latest risk record. */
  lastSeen: number;
  pFail: number;
}

export interface RegionSummary {
  region: string;
  health: RegionHealth | null;
  blueprint: { shadowRegion: string; version: number; levelCount: number; services: number; builtAt: number } | null;
  dag: { version: number; nodeCount: number; edgeCount: number; levelCount: number; generatedAt: number } | null;
  hosts: number;
  activeShadows: number;
}

export interface ShadowFilter {
  resourceId?: string;
  region?: string;
  host?: string;
  state?: ShadowLifecycle;
}

export interface EventFilter {
  subject?: string;
  failoverId?: string;
  limit: number;
}

export class FleetReadModel {
  private readonly hosts = new Map<string, Host>();
  private readonly deployments = new Map<string, Deployment>();
  private readonly risk = new Map<string, HostRisk>();
  private readonly shadows = new Map<string, ShadowState>();
  private readonly blueprints = new Map<string, ShadowBlueprint>();
  private readonly dags = new Map<string, DependencyDag>();
  private readonly regionHealth = new Map<string, RegionHealth>();
  private events: FailoverEvent[] = [];
  private readonly updatedAt = new Map<ReadModelTable, number>();

  constructor(private readonly maxEvents = 5_000) {}

  /** Applies one record; a null value is a tombstone. */
  apply(table: ReadModelTable, key: string, value: unknown, at = Date.now()): void {
    this.updatedAt.set(table, at);
    if (table === 'events') {
      if (value === null) return;
      this.events.push(value as FailoverEvent);
      if (this.events.length > this.maxEvents) this.events = this.events.slice(-this.maxEvents);
      return;
    }
    const map = this.table(table);
    if (value === null) map.delete(key);
    else map.set(key, value);
  }

  private table(t: Exclude<ReadModelTable, 'events'>): Map<string, unknown> {
    const tables: Record<Exclude<ReadModelTable, 'events'>, Map<string, unknown>> = {
      hosts: this.hosts,
      deployments: this.deployments,
      risk: this.risk,
      shadows: this.shadows,
      blueprints: this.blueprints,
      dags: this.dags,
      regionHealth: this.regionHealth,
    };
    return tables[t];
  }

  freshness(): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    for (const t of Object.keys(READ_MODEL_TOPICS) as ReadModelTable[]) out[t] = this.updatedAt.get(t) ?? null;
    return out;
  }

  deployment(resourceId: string): Deployment | undefined {
    return this.deployments.get(resourceId);
  }

  shadow(resourceId: string): ShadowState | undefined {
    return this.shadows.get(resourceId);
  }

  hostRisk(host: string): HostRisk | undefined {
    return this.risk.get(host);
  }

  blueprint(region: string): ShadowBlueprint | undefined {
    return this.blueprints.get(region);
  }

  fleet(): FleetHost[] {
    const names = new Set([...this.hosts.keys(), ...this.risk.keys()]);
    return [...names].sort().map((name) => {
      const h = this.hosts.get(name);
      const r = this.risk.get(name);
      return {
        host: name,
        region: h?.region ?? r?.region ?? '',
        zone: h?.zone ?? r?.zone ?? '',
        rack: h?.rack ?? '',
        state: h?.state ?? 'UNKNOWN',
        cpuCores: h?.cpuCores ?? 0,
        memoryMb: h?.memoryMb ?? 0,
        risk: r
          ? {
              pFail: r.pFail,
              level: r.level,
              rising: r.rising,
              deviating: r.deviating,
              timeToFailureMs: r.timeToFailureMs,
              timestamp: r.timestamp,
            }
          : null,
        resources: [...this.deployments.values()]
          .filter((d) => d.host === name && d.outcome !== 'REMOVED')
          .map((d) => d.resourceId)
          .sort(),
        shadowsHosted: [...this.shadows.values()]
          .filter((s) => s.shadowHost === name && isActive(s.state))
          .map((s) => s.resourceId)
          .sort(),
      };
    });
  }

  /**
   * Hosts that report metrics but are missing from the inventory (the hosts table): without a
   * failure domain and capacity they can be scored but neither shadowed nor chosen for shadows.
   */
  unknownHosts(): UnknownHost[] {
    return [...this.risk.values()]
      .filter((r) => !this.hosts.has(r.host))
      .map((r) => ({ host: r.host, region: r.region, zone: r.zone ?? '', lastSeen: r.timestamp, pFail: r.pFail }))
      .sort((a, b) => (a.host < b.host ? -1 : 1));
  }

  risks(region?: string, minPFail = 0): HostRisk[] {
    return [...this.risk.values()]
      .filter((r) => (region === undefined || r.region === region) && r.pFail >= minPFail)
      .sort((a, b) => b.pFail - a.pFail || (a.host < b.host ? -1 : 1));
  }

  shadowList(f: ShadowFilter): ShadowState[] {
    return [...this.shadows.values()]
      .filter(
        (s) =>
          (f.resourceId === undefined || s.resourceId === f.resourceId) &&
          (f.region === undefined || s.region === f.region) &&
          (f.host === undefined || s.primaryHost === f.host || s.shadowHost === f.host) &&
          (f.state === undefined || s.state === f.state),
      )
      .sort((a, b) => b.priority - a.priority || (a.resourceId < b.resourceId ? -1 : 1));
  }

  shadowHours(states: ShadowState[], now: number): ShadowHoursReport {
    return shadowHours(states, now);
  }

  regions(): RegionSummary[] {
    const names = new Set([
      ...this.blueprints.keys(),
      ...this.dags.keys(),
      ...this.regionHealth.keys(),
      ...[...this.hosts.values()].map((h) => h.region),
    ]);
    return [...names].sort().map((region) => {
      const bp = this.blueprints.get(region);
      const dag = this.dags.get(region);
      return {
        region,
        health: this.regionHealth.get(region) ?? null,
        blueprint: bp
          ? {
              shadowRegion: bp.shadowRegion,
              version: bp.version,
              levelCount: bp.levelCount,
              services: bp.services.length,
              builtAt: bp.builtAt,
            }
          : null,
        dag: dag
          ? {
              version: dag.version,
              nodeCount: dag.nodeCount,
              edgeCount: dag.edgeCount,
              levelCount: dag.levelCount,
              generatedAt: dag.generatedAt,
            }
          : null,
        hosts: [...this.hosts.values()].filter((h) => h.region === region).length,
        activeShadows: [...this.shadows.values()].filter((s) => s.region === region && isActive(s.state)).length,
      };
    });
  }

  /** The blueprint with its launch levels in DAG order, as a failover would run them. */
  blueprintWithLevels(
    region: string,
  ): { blueprint: ShadowBlueprint; levels: ReturnType<typeof planLevels> | null; problem: string | null } | undefined {
    const bp = this.blueprints.get(region);
    if (!bp) return undefined;
    try {
      return { blueprint: bp, levels: planLevels(bp), problem: null };
    } catch (err: unknown) {
      return { blueprint: bp, levels: null, problem: err instanceof Error ? err.message : String(err) };
    }
  }

  /** The dependency DAG with its JSON body parsed, so a client renders it without a second parse. */
  dag(region: string): (Omit<DependencyDag, 'dag'> & { dag: unknown }) | undefined {
    const d = this.dags.get(region);
    if (!d) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(d.dag);
    } catch {
      parsed = d.dag;
    }
    return { ...d, dag: parsed };
  }

  eventList(f: EventFilter): FailoverEvent[] {
    return this.events
      .filter(
        (e) =>
          (f.subject === undefined || e.subject === f.subject) &&
          (f.failoverId === undefined || e.failoverId === f.failoverId),
      )
      .slice(-f.limit)
      .reverse();
  }

  counts(): { hosts: number; shadowsByState: Record<string, number>; events: number } {
    const byState: Record<string, number> = {};
    for (const s of this.shadows.values()) byState[s.state] = (byState[s.state] ?? 0) + 1;
    return { hosts: this.hosts.size, shadowsByState: byState, events: this.events.length };
  }
}
