/** Region health monitor: public API. */
export {
  assessRegion,
  DEFAULT_HEALTH_POLICY,
  type HealthPolicy,
  type HostFailureInput,
  type HostHealth,
  type HostRiskInput,
} from './assess.js';
export { HOST_REGIONS_STORE, HOSTS_STORE, LAST_STORE, REGION_HEALTH_APPLICATION_ID } from './names.js';
export { type RegionHealthOptions, type RegionHealthOptionsInput, regionHealthOptionsSchema } from './options.js';
export { type HealthInput, RegionHealthProcessor } from './processor.js';
export { HostRegionKeyer, type RegionHealthTopologyOptions, regionHealthTopology } from './topology.js';
