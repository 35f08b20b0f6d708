/**
 * The shadow-region app's persistent names: its application id (consumer group, internal topic
 * prefix), its store names (each fixes the changelog topic `<applicationId>-<store>-changelog`) and
 * its repartition topic. Renaming any of them is a state migration.
 */

export const SHADOW_REGION_APPLICATION_ID = 'foreshadow-shadow-region';

export const INPUTS_STORE = 'shadow-region-inputs';
export const DEPLOYMENTS_STORE = 'shadow-region-deployments';
export const BLUEPRINTS_STORE = 'shadow-region-blueprints';

/** Deployments re-keyed by region: `<applicationId>-deployments-by-region-repartition`. */
export const DEPLOYMENTS_BY_REGION_SUFFIX = 'deployments-by-region-repartition';
