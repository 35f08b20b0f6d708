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
export {
  CapacityFingerprintProcessor,
  type CapacityOptionsInput,
  type CapacitySample,
  fingerprintRecord,
} from './processor.js';
export {
  type CapacityProfile,
  exactQuantile,
  type MetricSummary,
  mergeSketch,
  type ServiceProfile,
} from './profile.js';
export { CAPACITY_APPLICATION_ID, capacityTopology } from './topology.js';
