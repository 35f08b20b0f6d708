/** Failover orchestrator (region failovers and drills): public API. */
export { type FailoverOrchestratorAppOptions, startFailoverOrchestrator } from './app.js';
export { type LaunchLevel, type LaunchUnit, planLaunches, planLevels } from './launch-plan.js';
export {
  BLUEPRINTS_STORE,
  FAILOVER_ORCHESTRATOR_APPLICATION_ID,
  REGION_REQUESTS_STORE,
  REGIONS_STORE,
} from './names.js';
export {
  type FailoverOrchestratorOptions,
  failoverOrchestratorOptions,
  failoverOrchestratorOptionsSchema,
} from './options.js';
export { FailoverOrchestratorProcessor, type RegionInput } from './processor.js';
export { criticalPath, onRegionResult, startRegionFailover, timingReport } from './region-failover.js';
export {
  buildFailoverOrchestratorTopology,
  DEFAULT_REGION_TOPICS,
  type FailoverOrchestratorTopologyOptions,
} from './topology.js';
