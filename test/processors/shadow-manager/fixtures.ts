/**
 * Builders for shadow-manager and failover inputs, and a small simulated provider that plays the
 * actuators' part in scenario tests: it acts on each command id once (a duplicate is answered
 * DUPLICATE and does nothing), refuses commands older than the highest epoch seen per resource or
 * region, and answers with configurable outcomes and lag.
 */
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import type { CriticalityTier, Deployment } from '../../../schemas/records/deployment.js';
import type { FailoverCommand } from '../../../schemas/records/failover-command.js';
import type { Host } from '../../../schemas/records/host.js';
import type { HostRisk } from '../../../schemas/records/host-risk.js';
import type { ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import type { ShadowCommand } from '../../../schemas/records/shadow-command.js';
import { isStaleEpoch } from '../../../streams/processors/shadow-manager/commands.js';

export const T0 = 1_700_000_000_000;

export function host(name: string, zone: string, rack: string, over: Partial<Host> = {}): Host {
  return {
    host: name,
    region: 'eu-1',
    zone,
    rack,
    address: `${name}.internal`,
    cpuCores: 16,
    memoryMb: 65_536,
    state: 'UP',
    labels: {},
    updatedAt: T0 - 60_000,
    ...over,
  };
}

export function deployment(
  resourceId: string,
  hostName: string,
  tier: CriticalityTier,
  over: Partial<Deployment> = {},
): Deployment {
  return {
    resourceId,
    kind: 'redis',
    service: resourceId.split('-')[0] ?? resourceId,
    host: hostName,
    region: 'eu-1',
    zone: 'a',
    rack: 'r1',
    tier,
    config: { maxmemory: '1gb' },
    configRef: '',
    replication: true,
    address: `${hostName}.internal:6379`,
    cpu: 2,
    memoryMb: 2048,
    outcome: 'SUCCEEDED',
    deployedAt: T0 - 3_600_000,
    ...over,
  };
}

export function risk(hostName: string, pFail: number, at: number, over: Partial<HostRisk> = {}): HostRisk {
  const degrading = pFail >= 0.5;
  return {
    host: hostName,
    region: 'eu-1',
    zone: '',
    timestamp: at,
    horizonMs: 3_600_000,
    pFail,
    level: pFail > 0.9 ? 'CRITICAL' : pFail > 0.6 ? 'WARNING' : pFail > 0.3 ? 'WATCH' : 'OK',
    trend: degrading ? 0.2 : 0,
    rising: degrading,
    deviating: degrading,
    deviationScore: degrading ? 4 : 0.5,
    timeToFailureMs: pFail > 0.9 ? 600_000 : null,
    drivers: [],
    modelVersion: 'test',
    ...over,
  };
}

export function blueprint(
  region: string,
  services: { name: string; level: number; dependsOn?: string[] }[],
): ShadowBlueprint {
  return {
    primaryRegion: region,
    shadowRegion: `${region}-shadow`,
    version: 7,
    builtAt: T0,
    fingerprintVersion: 3,
    dagVersion: 4,
    headroom: 1.2,
    levelCount: new Set(services.map((s) => s.level)).size,
    services: services.map((s) => ({
      service: s.name,
      instances: 2,
      cpuPerInstance: 1,
      memoryMbPerInstance: 1024,
      configRef: `cfg/${s.name}`,
      launchLevel: s.level,
      launchGroup: s.name,
      dependsOn: s.dependsOn ?? [],
      ports: [8080],
      lbPools: [`${s.name}-pool`],
      dnsNames: [`${s.name}.${region}.example`],
      replicationSources: [],
    })),
  };
}

export interface ProviderBehaviour {
  /** Hosts where CREATE fails (retriable). */
  failCreatesOn?: Set<string>;
  /** Replication lag a new or polled shadow reports. */
  lagMs?: number;
}

export class SimulatedProvider {
  readonly acted: (ShadowCommand | FailoverCommand)[] = [];
  private readonly results = new Map<string, ActuationResult>();
  private readonly epochs = new Map<string, number>();
  constructor(readonly behaviour: ProviderBehaviour = {}) {}

  /** Another controller moved a subject on (e.g. a newer promotion elsewhere). */
  bumpEpoch(subject: string, epoch: number): void {
    this.epochs.set(subject, Math.max(epoch, this.epochs.get(subject) ?? 0));
  }

  actedOn(commandId: string): number {
    return this.acted.filter((c) => c.commandId === commandId).length;
  }

  handle(cmd: ShadowCommand | FailoverCommand, now: number, durationMs = 0): ActuationResult {
    const subject = 'resourceId' in cmd ? cmd.resourceId : cmd.primaryRegion;
    const type = cmd.type;
    const base: ActuationResult = {
      commandId: cmd.commandId,
      commandType: type,
      subject,
      provider: 'simulated',
      epoch: cmd.epoch,
      status: 'SUCCEEDED',
      retriable: false,
      address: '',
      lagBytes: null,
      lagMs: null,
      durationMs,
      attempt: 'attempt' in cmd ? cmd.attempt : 1,
      detail: '',
      timestamp: now,
    };
    const previous = this.results.get(cmd.commandId);
    if (previous) return { ...previous, status: 'DUPLICATE', timestamp: now };
    if (isStaleEpoch(cmd.epoch, this.epochs.get(subject))) {
      return { ...base, status: 'REJECTED_STALE_EPOCH', detail: `highest epoch ${this.epochs.get(subject)}` };
    }
    this.bumpEpoch(subject, cmd.epoch);
    this.acted.push(cmd);
    let result = base;
    if ('resourceId' in cmd) {
      if (type === 'CREATE' && this.behaviour.failCreatesOn?.has(cmd.targetHost)) {
        result = { ...base, status: 'FAILED', retriable: true, detail: `no capacity on ${cmd.targetHost}` };
      } else if (type === 'CREATE' || type === 'REPORT_SYNC') {
        result = {
          ...base,
          address: `${cmd.targetHost}.internal:6379`,
          lagMs: this.behaviour.lagMs ?? 100,
          lagBytes: 1024,
        };
      } else if (type === 'PROMOTE' || type === 'DEPLOY_STANDARD') {
        result = { ...base, address: cmd.targetAddress || `${cmd.targetHost}.internal:6379` };
      }
    }
    this.results.set(cmd.commandId, result);
    return result;
  }
}
