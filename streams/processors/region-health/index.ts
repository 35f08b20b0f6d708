/** Region health monitor: public API. */
export { assessRegion, DEFAULT_HEALTH_POLICY, type RegionHealth, type RegionStatus } from './assess.js';
export { REGION_HEALTH_TOPIC, RegionHealthProcessor } from './processor.js';
export { REGION_HEALTH_APPLICATION_ID, regionHealthTopology } from './topology.js';
