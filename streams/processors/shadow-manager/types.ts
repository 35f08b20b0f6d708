/**
 * The shadow manager's own records: the fleet envelope on its one-partition topic and the values of
 * its stores. The topic records it reads and writes are defined once in schemas/records/.
 */
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import type { CriticalityTier, Deployment } from '../../../schemas/records/deployment.js';
import type { Host } from '../../../schemas/records/host.js';
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { HostRisk } from '../../../schemas/records/host-risk.js';
import type { OperatorRequest } from '../../../schemas/records/operator-request.js';
import type { ShadowLifecycle } from '../../../schemas/records/shadow-state.js';
import type { PromotionRecord } from './blast-radius.js';
import type { RateBucket } from './budget.js';

/** Every input, wrapped so one processor can read six topics through one repartition topic. */
export type FleetInput =
  | { type: 'RISK'; risk: HostRisk }
  | { type: 'HOST'; hostId: string; host: Host | null }
  | { type: 'DEPLOYMENT'; resourceId: string; deployment: Deployment | null }
  | { type: 'FAILURE'; failure: HostFailure }
  | { type: 'RESULT'; result: ActuationResult }
  | { type: 'REQUEST'; request: OperatorRequest };

/** What the manager knows of a host (store `shadow-manager-hosts`). */
export interface HostView {
  hostId: string;
  host: Host | null;
  risk: HostRisk | null;
  /** Wall-clock arrival of the latest risk record (heartbeat). */
  lastSeenAt: number | null;
  calmSince: number | null;
  failedAt: number | null;
  deployFailures: number[];
  /**
   * The control (pause or window id) under which a failure of this host was last suppressed, so a
   * silent host under a pause is reported once per control, not on every tick. Absent in views
   * stored before the safety controls.
   */
  suppressedBy?: string;
}

/** Store `shadow-manager-meta`: the creation rate bucket (key `rate`), the promotion log (key `promotions`). */
export interface MetaRecord {
  bucket?: RateBucket;
  /** Failover actions of the last minute, for the blast-radius limit. */
  promotions?: PromotionRecord[];
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
  /**
   * A recommendation of a manager in advise mode: its CREATE was recorded, not carried out, so it
   * waits for no result. Read with `=== true`: records stored before advise mode lack it.
   */
  advisory: boolean;
}
