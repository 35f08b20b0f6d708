/**
 * The capacity profiler's persistent names: its application id (consumer group, internal topic
 * prefix), its store names (each fixes the changelog topic `<applicationId>-<store>-changelog`) and
 * its repartition topic. Renaming any of them is a state migration.
 */

export const CAPACITY_APPLICATION_ID = 'foreshadow-capacity-fingerprint';

export const PANES_STORE = 'capacity-fingerprint-panes';
export const MEANS_STORE = 'capacity-fingerprint-means';
export const EMITTED_STORE = 'capacity-fingerprint-emitted';

/** Samples re-keyed by region: `<applicationId>-samples-by-region-repartition`. */
export const SAMPLES_BY_REGION_SUFFIX = 'samples-by-region-repartition';
