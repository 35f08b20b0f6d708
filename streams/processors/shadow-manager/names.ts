/**
 * The shadow manager's persistent names: its application id (consumer groups, the fleet topic
 * `<applicationId>-fleet`, router ids `<applicationId>-router-p<n>`) and its store names (each fixes
 * the changelog topic `<applicationId>-<store>-changelog`). Renaming any of them is a state
 * migration.
 */

export const SHADOW_MANAGER_APPLICATION_ID = 'foreshadow-shadow-manager';

export const SHADOWS_STORE = 'shadow-manager-shadows';
export const HOSTS_STORE = 'shadow-manager-hosts';
export const DEPLOYMENTS_STORE = 'shadow-manager-deployments';
export const EPOCHS_STORE = 'shadow-manager-epochs';
export const RESOURCE_FAILOVERS_STORE = 'shadow-manager-resource-failovers';
export const HOST_FAILOVERS_STORE = 'shadow-manager-host-failovers';
export const REQUESTS_STORE = 'shadow-manager-requests';
export const META_STORE = 'shadow-manager-meta';
/** The safety controls in force (pause, maintenance windows), folded from operator.requests. */
export const CONTROLS_STORE = 'shadow-manager-controls';

export const SHADOW_MANAGER_STORES = [
  SHADOWS_STORE,
  HOSTS_STORE,
  DEPLOYMENTS_STORE,
  EPOCHS_STORE,
  RESOURCE_FAILOVERS_STORE,
  HOST_FAILOVERS_STORE,
  REQUESTS_STORE,
  META_STORE,
  CONTROLS_STORE,
] as const;
