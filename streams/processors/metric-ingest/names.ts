/**
 * The metric-ingest app's persistent names: its application id (consumer group, internal topic
 * prefix), its store name (which fixes the changelog topic `<applicationId>-<store>-changelog`) and
 * its repartition topic. Renaming any of them is a state migration.
 */

export const METRIC_INGEST_APPLICATION_ID = 'foreshadow-metric-ingest';

export const COUNTER_STORE = 'metric-ingest-counters';

/** Internal topic suffix of parsed samples keyed by host. */
export const PARSED_SUFFIX = 'parsed-repartition';
