/**
 * Value types of the topics the shadow manager reads and writes, mirroring schemas/*.avsc field for
 * field (timestamp-millis longs are plain epoch-millisecond numbers), plus the manager's own store
 * records. Kept structural so records decoded by any Avro serde fit without conversion.
 */

export type RiskLevel = 'OK' | 'WATCH' | 'WARNING' | 'CRITICAL';

export interface RiskDriver {
  feature: string;
  value: number;
  contribution: number;
}

/** health.risk, key = host. */
export interface HostRisk {
  host: string;
  region: string;
  zone: string;
  timestamp: number;
  horizonMs: number;
  pFail: number;
  level: RiskLevel;
  trend: number;
  rising: boolean;
  deviating: boolean;
  deviationScore: number;
  timeToFailureMs: number | null;
  drivers: RiskDriver[];
  modelVersion: string;
}

export type CriticalityTier = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW';
export type DeploymentOutcome = 'SUCCEEDED' | 'FAILED' | 'PENDING' | 'REMOVED';

/** deployments (compacted), key = resourceId. */
export interface Deployment {
  resourceId: string;
  kind: string;
  service: string;
  host: string;
  region: string;
  zone: string;
  rack: string;
  tier: CriticalityTier;
  config: Record<string, string>;
  configRef: string;
  replication: boolean;
  address: string;
  cpu: number;
  memoryMb: number;
  outcome: DeploymentOutcome;
  deployedAt: number;
}

export type HostState = 'UP' | 'DRAINING' | 'DOWN' | 'MAINTENANCE';

/** hosts (compacted), key = host. */
export interface Host {
  host: string;
  region: string;
  zone: string;
  rack: string;
  address: string;
  cpuCores: number;
  memoryMb: number;
  state: HostState;
  labels: Record<string, string>;
  updatedAt: number;
}

export type FailureKind = 'CRASH' | 'HARDWARE' | 'NETWORK' | 'DISK' | 'MEMORY' | 'HEARTBEAT_LOST' | 'MANUAL' | 'OTHER';

/** host.failures, key = host. */
export interface HostFailure {
  host: string;
  region: string;
  timestamp: number;
  kind: FailureKind;
  source: string;
  detail: string;
}

export type ActuationStatus = 'SUCCEEDED' | 'IN_PROGRESS' | 'FAILED' | 'REJECTED_STALE_EPOCH' | 'DUPLICATE';

/** actuation.results, key = resourceId or region. */
export interface ActuationResult {
  commandId: string;
  commandType: string;
  subject: string;
  provider: string;
  epoch: number;
  status: ActuationStatus;
  retriable: boolean;
  address: string;
  lagBytes: number | null;
  lagMs: number | null;
  durationMs: number;
  attempt: number;
  detail: string;
  timestamp: number;
}

export type ShadowCommandType =
  | 'CREATE'
  | 'RETIRE'
  | 'PROMOTE'
  | 'FENCE'
  | 'REDIRECT'
  | 'DEPLOY_STANDARD'
  | 'REPORT_SYNC';

export const SHADOW_COMMAND_TYPES: readonly ShadowCommandType[] = [
  'CREATE',
  'RETIRE',
  'PROMOTE',
  'FENCE',
  'REDIRECT',
  'DEPLOY_STANDARD',
  'REPORT_SYNC',
];

/** shadow.commands, key = resourceId. */
export interface ShadowCommand {
  commandId: string;
  type: ShadowCommandType;
  resourceId: string;
  kind: string;
  epoch: number;
  primaryHost: string;
  primaryAddress: string;
  targetHost: string;
  targetAddress: string;
  region: string;
  zone: string;
  tier: string;
  priority: number;
  config: Record<string, string>;
  reason: string;
  issuedAt: number;
  attempt: number;
}

export type ShadowLifecycle =
  | 'QUEUED'
  | 'REQUESTED'
  | 'PROVISIONING'
  | 'SYNCING'
  | 'READY'
  | 'PROMOTED'
  | 'RETIRED'
  | 'FAILED';

/** shadow.state (compacted), key = resourceId. */
export interface ShadowState {
  resourceId: string;
  kind: string;
  region: string;
  primaryHost: string;
  shadowHost: string;
  shadowAddress: string;
  state: ShadowLifecycle;
  epoch: number;
  tier: string;
  priority: number;
  lagBytes: number | null;
  lagMs: number | null;
  attempts: number;
  reason: string;
  createdAt: number;
  updatedAt: number;
  shadowMs: number;
}

export type OperatorRequestType = 'CREATE_SHADOW' | 'PROMOTE_SHADOW' | 'RETIRE_SHADOW' | 'REGION_FAILOVER';

/** operator.requests, key = resourceId or region. */
export interface OperatorRequest {
  requestId: string;
  type: OperatorRequestType;
  subject: string;
  targetHost: string;
  dryRun: boolean;
  principal: string;
  requestedAt: number;
}

/** Why a shadow exists: predicted by risk, or asked for by an operator (never retired by TTL). */
export type ShadowOrigin = 'PREDICTED' | 'OPERATOR';

/**
 * The manager's full per-resource record (store `shadow-manager-shadows`); `shadow.state` publishes
 * a projection of it. Everything needed to resume after a restart lives here, none in memory.
 */
export interface ShadowRecord {
  resourceId: string;
  kind: string;
  region: string;
  zone: string;
  rack: string;
  primaryHost: string;
  primaryAddress: string;
  tier: CriticalityTier;
  priority: number;
  config: Record<string, string>;
  cpu: number;
  memoryMb: number;
  replication: boolean;
  origin: ShadowOrigin;
  state: ShadowLifecycle;
  shadowHost: string;
  shadowAddress: string;
  epoch: number;
  /** Shadow cycles of this resource so far (1-based): a new shadow after a retired one is cycle 2. */
  cycle: number;
  /** Attempts on the current placement (1-based once requested). */
  attempts: number;
  /** How many hosts have been tried (1-based once requested). */
  placements: number;
  /** An operator's chosen host, used when eligible. */
  preferredHost: string;
  /** Hosts where provisioning failed; never tried again for this shadow. */
  excludedHosts: string[];
  lagBytes: number | null;
  lagMs: number | null;
  reason: string;
  enqueuedAt: number;
  createdAt: number;
  updatedAt: number;
  stateSince: number;
  /** When a retry is due (backoff); null when nothing is scheduled. */
  retryAt: number | null;
  /** The command whose result moves this record on; results of other commands are stale. */
  pendingCommandId: string;
  syncPolls: number;
  lastSyncPollAt: number | null;
  shadowMs: number;
  /** Shadow time is accrued up to here; null while no shadow is reserved. */
  accountedAt: number | null;
}
