/**
 * The dependency mapper's persistent names: its application id (consumer group, internal topic
 * prefix), its store name (which fixes the changelog topic `<applicationId>-<store>-changelog`) and
 * its repartition topic. Renaming any of them is a state migration.
 */

export const DEPENDENCY_MAP_APPLICATION_ID = 'foreshadow-dependency-map';

export const STATE_STORE = 'dependency-map-state';

/** Evidence tagged with its kind and re-keyed by region: `<applicationId>-dependency-evidence-repartition`. */
export const EVIDENCE_BY_REGION_SUFFIX = 'dependency-evidence-repartition';
