/**
 * The API's read model: the latest value per key of the processors' output tables (shadow.state,
 * health.risk, region.blueprints, region.dependencies, region.health, control.state,
 * region.failovers) and of the input tables hosts and deployments, plus the recent failover.events. It holds nothing the topics do not: it is
 * rebuilt from them on every start (`read-model-feed.ts`), so the API keeps no private state.
 * Queries return plain JSON a dashboard can render (fleet, risk, shadows, regions, DAG, events).
 */
import type { ControlState } from '../schemas/records/control-state.js';
import type { DependencyDag } from '../schemas/records/dependency-dag.js';
import type { Deployment } from '../schemas/records/deployment.js';
import type { FailoverEvent } from '../schemas/records/failover-event.js';
import type { Host } from '../schemas/records/host.js';
import type { HostRisk } from '../schemas/records/host-risk.js';
import type { RegionFailoverStatus } from '../schemas/records/region-failover-status.js';
import type { RegionHealth } from '../schemas/records/region-health.js';
import type { ShadowBlueprint } from '../schemas/records/shadow-blueprint.js';
import type { ShadowLifecycle, ShadowState } from '../schemas/records/shadow-state.js';
import {
  BLUEPRINTS_TOPIC,
  CONTROL_STATE_TOPIC,
  DEPENDENCIES_TOPIC,
  DEPLOYMENTS_TOPIC,
  FAILOVER_EVENTS_TOPIC,
  HOSTS_TOPIC,
  REGION_FAILOVERS_TOPIC,
  REGION_HEALTH_TOPIC,
  RISK_TOPIC,
  SHADOW_STATE_TOPIC,
} from '../streams/catalogue.js';
import { planLevels } from '../streams/processors/failover-orchestrator/region-failover.js';
import { isActive } from '../streams/processors/shadow-manager/lifecycle.js';
import { type ShadowHoursReport, shadowHours } from '../streams/processors/shadow-manager/retirement.js';

export type ReadModelTable =
  | 'hosts'
  | 'deployments'
  | 'risk'
  | 'shadows'
  | 'blueprints'
  | 'dags'
  | 'regionHealth'
  | 'controls'
  | 'regionFailovers'
  | 'events';

/** Which catalogue topic feeds which table. */
export const READ_MODEL_TOPICS: Readonly<Record<ReadModelTable, string>> = {
  hosts: HOSTS_TOPIC,
  deployments: DEPLOYMENTS_TOPIC,
  risk: RISK_TOPIC,
  shadows: SHADOW_STATE_TOPIC,
  blueprints: BLUEPRINTS_TOPIC,
  dags: DEPENDENCIES_TOPIC,
  regionHealth: REGION_HEALTH_TOPIC,
  controls: CONTROL_STATE_TOPIC,
  regionFailovers: REGION_FAILOVERS_TOPIC,
  events: FAILOVER_EVENTS_TOPIC,
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
  /** Where the region's latest real failover stands (PENDING_APPROVAL, RUNNING...), if any. */
  failover: RegionFailoverStatus | null;
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

export interface WindowFilter {
  host?: string;
  region?: string;
}

/** GET /control: the controls in force as the shadow manager holds them. */
export interface ControlSummary {
  paused: boolean;
  pause: ControlState | null;
  maintenance: ControlState[];
  pendingApprovals: RegionFailoverStatus[];
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
  private readonly controls = new Map<string, ControlState>();
  private readonly regionFailovers = new Map<string, RegionFailoverStatus>();
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
      controls: this.controls,
      regionFailovers: this.regionFailovers,
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

  /** Whether a host is known (hosts table or a risk record). */
  knowsHost(host: string): boolean {
    return this.hosts.has(host) || this.risk.has(host);
  }

  /** Whether a region is known (any of the region tables, or a host in it). */
  knowsRegion(region: string): boolean {
    return this.regions().some((r) => r.region === region);
  }

  /** The pause and the maintenance windows in force or planned (ended ones excluded at `now`). */
  control(now: number): ControlSummary {
    const pause = this.controls.get('pause') ?? null;
    return {
      paused: pause?.active === true,
      pause,
      maintenance: this.maintenanceWindows({}, now),
      pendingApprovals: [...this.regionFailovers.values()]
        .filter((s) => s.status === 'PENDING_APPROVAL')
        .sort((a, b) => (a.region < b.region ? -1 : 1)),
    };
  }

  /** Maintenance windows not yet ended at `now`, soonest first. */
  maintenanceWindows(f: WindowFilter, now: number): ControlState[] {
    return [...this.controls.values()]
      .filter(
        (c) =>
          c.kind === 'MAINTENANCE' &&
          c.endsAt > now &&
          (f.host === undefined || (c.scope === 'HOST' && c.subject === f.host)) &&
          (f.region === undefined || (c.scope === 'REGION' && c.subject === f.region)),
      )
      .sort((a, b) => a.startsAt - b.startsAt || (a.controlId < b.controlId ? -1 : 1));
  }

  maintenanceWindow(windowId: string): ControlState | undefined {
    const c = this.controls.get(windowId);
    return c?.kind === 'MAINTENANCE' ? c : undefined;
  }

  regionFailover(region: string): RegionFailoverStatus | undefined {
    return this.regionFailovers.get(region);
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
      ...this.regionFailovers.keys(),
      ...[...this.hosts.values()].map((h) => h.region),
    ]);
    return [...names].sort().map((region) => {
      const bp = this.blueprints.get(region);
      const dag = this.dags.get(region);
      return {
        region,
        health: this.regionHealth.get(region) ?? null,
        failover: this.regionFailovers.get(region) ?? null,
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
