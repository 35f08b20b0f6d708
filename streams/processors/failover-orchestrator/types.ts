/**
 * The failover orchestrator's store records (store `failover-orchestrator-regions`). The topic
 * records it reads and writes are defined once in schemas/records/.
 */
import type { RegionStatus } from '../../../schemas/records/region-health.js';
import type { RegionFailover } from './region-failover.js';

/** A failover region health asked for that waits on an operator (or on a control to end). */
export interface HeldRegionFailover {
  trigger: string;
  since: number;
  /** For a suppressed one: the control episode (controls.ts suppressionKey) that holds it. */
  by?: string;
}

export interface RegionRecord {
  region: string;
  /** Rises with every real failover; commands of older failovers are refused by the actuators. */
  epoch: number;
  lastStatus: RegionStatus | null;
  active: RegionFailover | null;
  drill: RegionFailover | null;
  /** Region health FAILED and no automatic failover: waiting for APPROVE_REGION_FAILOVER. */
  pending?: HeldRegionFailover | null;
  /** Region health FAILED while paused or in maintenance: judged again when the control ends. */
  suppressed?: HeldRegionFailover | null;
}
