export { admit, compareQueue, fullBucket, refill } from './budget.js';
export { isStaleEpoch, shadowCommandId } from './commands.js';
export { isActive, isTerminal, toShadowState } from './lifecycle.js';
export { type ShadowManagerOptions, shadowManagerOptions } from './options.js';
export { choosePlacement, rankPlacements } from './placement.js';
export { shadowPriority, shouldShadow } from './priority.js';
export { retirementDue, shadowHours } from './retirement.js';
export {
  FLEET_KEY,
  type FleetInput,
  SHADOW_MANAGER_APPLICATION_ID,
  SHADOW_MANAGER_STORES,
  ShadowManagerProcessor,
} from './shadow-manager-processor.js';
export {
  buildShadowManagerTopology,
  buildShadowRouterTopologies,
  DEFAULT_SHADOW_TOPICS,
  ensureFleetTopic,
  FLEET_WRAPPERS,
  fleetTopic,
  type ShadowManagerTopologyOptions,
} from './topology.js';
