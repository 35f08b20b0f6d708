/** Metric ingest (any agent format → canonical HostSample): public API (see docs/metrics.md). */
export {
  type Aggregation,
  CANONICAL_METRICS,
  type CanonicalMetric,
  canonicalMetric,
  checkValue,
  isCanonical,
  type MetricRange,
} from './canonical.js';
export { COUNTER_STORE, METRIC_INGEST_APPLICATION_ID, PARSED_SUFFIX } from './names.js';
export { type CounterState, DEFAULT_NORMALISE_OPTIONS, normaliseSample } from './normalise.js';
export { type MetricIngestOptions, metricIngestOptionsSchema } from './options.js';
export { type AvroDecoder, parseRaw, parseText } from './parse-raw.js';
export { MetricIngestProcessor, MetricParseProcessor } from './processor.js';
export { buildMetricIngestTopology, type MetricIngestTopologyOptions } from './topology.js';
export { IngestRejection, type InputFormat, type ParsedSample } from './types.js';
