/** Region health monitor: public API. */
export { assessRegion, DEFAULT_HEALTH_POLICY } from './assess.js';
export { RegionHealthProcessor } from './processor.js';
export { REGION_HEALTH_APPLICATION_ID, regionHealthTopology } from './topology.js';
