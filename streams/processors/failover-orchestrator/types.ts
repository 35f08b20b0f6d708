/**
 * Value types of the topics the failover orchestrator reads and writes, mirroring schemas/*.avsc
 * (timestamp-millis longs are epoch-millisecond numbers).
 */

// One definition of the blueprint record, owned by the processor that builds it.
import type { BlueprintService, ShadowBlueprint } from '../shadow-region/blueprint.js';

export type { BlueprintService, ShadowBlueprint };

export type RegionStatus = 'HEALTHY' | 'DEGRADED' | 'FAILED';

/** region.health (compacted), key = region. */
export interface RegionHealth {
  region: string;
  timestamp: number;
  status: RegionStatus;
  hostCount: number;
  hostsAtRisk: number;
  hostsFailed: number;
  meanPFail: number;
  reasons: string[];
}

/** region.dependencies (compacted), key = region; `dag` is JSON. */
export interface DependencyDag {
  region: string;
  version: number;
  generatedAt: number;
  nodeCount: number;
  edgeCount: number;
  cycleCount: number;
  levelCount: number;
  dag: string;
}

export type FailoverCommandType =
  | 'LAUNCH_LEVEL'
  | 'CONFIGURE_NETWORKING'
  | 'REDIRECT_TRAFFIC'
  | 'START_REPLICATION'
  | 'ABORT';

export const FAILOVER_COMMAND_TYPES: readonly FailoverCommandType[] = [
  'LAUNCH_LEVEL',
  'CONFIGURE_NETWORKING',
  'REDIRECT_TRAFFIC',
  'START_REPLICATION',
  'ABORT',
];

export interface ServiceLaunch {
  service: string;
  instances: number;
  cpuPerInstance: number;
  memoryMbPerInstance: number;
  configRef: string;
}

/** failover.commands, key = primary region. */
export interface FailoverCommand {
  commandId: string;
  failoverId: string;
  type: FailoverCommandType;
  primaryRegion: string;
  shadowRegion: string;
  epoch: number;
  blueprintVersion: number;
  level: number;
  services: ServiceLaunch[];
  dryRun: boolean;
  /** LAUNCH_LEVEL: boot the services' instances but do not start the services yet. */
  provisionOnly: boolean;
  issuedAt: number;
}

export type FailoverScope = 'HOST' | 'REGION';

/** failover.events, key = host or region. */
export interface FailoverEvent {
  eventId: string;
  failoverId: string;
  scope: FailoverScope;
  subject: string;
  step: string;
  resourceId: string;
  fromHost: string;
  toHost: string;
  epoch: number;
  dryRun: boolean;
  elapsedMs: number;
  detail: string;
  timestamp: number;
}
