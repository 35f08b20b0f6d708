/** Host baseline (per-host health baselines): public API. */
export {
  type BaselineOptions,
  DEFAULT_BASELINE_OPTIONS,
  type MetricBaselineState,
  robustDeviation,
} from './baseline.js';
export { hostBaselineHeapBytes, hostBaselineStateSerde } from './baseline-state-codec.js';
export {
  baselineRecord,
  type HostBaselineState,
  type HourlyMeans,
  newHostBaselineState,
  seasonalMedians,
  updateHostBaseline,
} from './host-state.js';
export { BASELINE_STORE, HOST_BASELINE_APPLICATION_ID, HOURLY_STORE } from './names.js';
export { type HostBaselineOptions, hostBaselineOptionsSchema } from './options.js';
export { HostBaselineProcessor } from './processor.js';
export { DEFAULT_STATE_CACHE, HOST_STATE_UNCOMMITTED_WRITES, type StateCacheBudget } from './state-cache-budget.js';
export { buildHostBaselineTopology, HOURLY_RETENTION_MS, type HostBaselineTopologyOptions } from './topology.js';
