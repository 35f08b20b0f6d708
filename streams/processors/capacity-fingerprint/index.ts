/** Capacity profiler: public API (see docs/fingerprint-format.md). */
export { DEFAULT_CHANGE_THRESHOLDS, materialChanges } from './change.js';
export {
  CODEC_BROTLI,
  CODEC_DEFLATE_RAW,
  CODEC_RAW,
  decodeFingerprint,
  type EncodeOptions,
  encodeFingerprint,
  FINGERPRINT_FORMAT_VERSION,
} from './fingerprint-codec.js';
export { CAPACITY_METRICS, type CapacityMetric, DEFAULT_METRIC_NAMES } from './metrics.js';
export { CAPACITY_APPLICATION_ID, EMITTED_STORE, MEANS_STORE, PANES_STORE } from './names.js';
export { type CapacityOptions, type CapacityOptionsInput, capacityOptionsSchema } from './options.js';
export { CapacityFingerprintProcessor, type CapacitySample, fingerprintRecord } from './processor.js';
export {
  type CapacityProfile,
  exactQuantile,
  type MetricSummary,
  mergeSketch,
  type ServiceProfile,
} from './profile.js';
export { type CapacityTopologyOptions, capacityTopology } from './topology.js';
