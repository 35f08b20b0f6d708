export {
  FAILOVER_ORCHESTRATOR_APPLICATION_ID,
  type FailoverOrchestratorOptions,
  FailoverOrchestratorProcessor,
  failoverOrchestratorOptions,
  type RegionInput,
} from './failover-orchestrator-processor.js';
export { heartbeatLost } from './heartbeat.js';
export { onFailoverResult, planResourceFailover } from './host-failover.js';
export {
  criticalPath,
  onRegionResult,
  planLaunches,
  planLevels,
  startRegionFailover,
  timingReport,
} from './region-failover.js';
export {
  buildFailoverOrchestratorTopology,
  DEFAULT_REGION_TOPICS,
  type FailoverOrchestratorTopologyOptions,
} from './topology.js';
