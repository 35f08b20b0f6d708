/**
 * The region-health app's persistent names: its application id (consumer group, internal topic
 * prefix), its store names (each fixes the changelog topic `<applicationId>-<store>-changelog`) and
 * its repartition topic. Renaming any of them is a state migration.
 */

export const REGION_HEALTH_APPLICATION_ID = 'foreshadow-region-health';
export const HOST_REGIONS_STORE = 'region-health-host-regions';

export const HOSTS_STORE = 'region-health-hosts';
export const LAST_STORE = 'region-health-last';

/** Risk and failures re-keyed by region: `<applicationId>-health-by-region-repartition`. */
export const HEALTH_BY_REGION_SUFFIX = 'health-by-region-repartition';
