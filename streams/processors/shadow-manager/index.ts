/** Shadow manager (per-resource shadows and host failovers): public API. */
export { type RunningApps, type ShadowManagerAppOptions, startShadowManager } from './app.js';
export { admitPromotions, notePromotion, type PromotionLimits, recentPromotions } from './blast-radius.js';
export { admit, compareQueue, fullBucket, refill } from './budget.js';
export { isStaleEpoch, shadowCommandId } from './commands.js';
export { heartbeatLost } from './heartbeat.js';
export { advisePlan, holdResourceFailover, onFailoverResult, planResourceFailover } from './host-failover.js';
export { isActive, isTerminal, toShadowState } from './lifecycle.js';
export { SHADOW_MANAGER_APPLICATION_ID, SHADOW_MANAGER_STORES } from './names.js';
export { type ShadowManagerOptions, shadowManagerOptions } from './options.js';
export { choosePlacement, rankPlacements } from './placement.js';
export { shadowPriority, shouldShadow } from './priority.js';
export { ShadowManagerProcessor } from './processor.js';
export { retirementDue, type ShadowHoursReport, shadowHours } from './retirement.js';
export {
  buildShadowManagerTopology,
  buildShadowRouterTopologies,
  DEFAULT_SHADOW_TOPICS,
  ensureFleetTopic,
  FLEET_KEY,
  FLEET_WRAPPERS,
  fleetTopic,
  type ShadowManagerTopologyOptions,
} from './topology.js';
export type { FleetInput, ShadowRecord } from './types.js';
