/** Failover orchestrator (region failovers and drills): public API. */
export { type FailoverOrchestratorAppOptions, startFailoverOrchestrator } from './app.js';
export { type LaunchLevel, type LaunchUnit, planLaunches, planLevels } from './launch-plan.js';
export {
  BLUEPRINTS_STORE,
  FAILOVER_ORCHESTRATOR_APPLICATION_ID,
  REGION_CONTROLS_STORE,
  REGION_REQUESTS_STORE,
  REGIONS_STORE,
} from './names.js';
export {
  type FailoverOrchestratorOptions,
  failoverOrchestratorOptions,
  failoverOrchestratorOptionsSchema,
} from './options.js';
export { FailoverOrchestratorProcessor, type RegionInput } from './processor.js';
export {
  adviseRegionFailover,
  criticalPath,
  onRegionResult,
  startRegionFailover,
  timingReport,
} from './region-failover.js';
export { regionStatus } from './region-status.js';
export {
  buildFailoverOrchestratorTopology,
  DEFAULT_REGION_TOPICS,
  type FailoverOrchestratorTopologyOptions,
  isRegionRequest,
} from './topology.js';
export type { HeldRegionFailover, RegionRecord } from './types.js';
