/**
 * The shadow manager's own store records. The topic records it reads and writes are defined once
 * in schemas/records/.
 */
import type { CriticalityTier } from '../../../schemas/records/deployment.js';
import type { ShadowLifecycle } from '../../../schemas/records/shadow-state.js';

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
