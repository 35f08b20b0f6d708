/**
 * The failover orchestrator's persistent names: its application id (consumer group, internal topic
 * prefix) and its store names (each fixes the changelog topic `<applicationId>-<store>-changelog`).
 * Renaming any of them is a state migration.
 */

export const FAILOVER_ORCHESTRATOR_APPLICATION_ID = 'foreshadow-failover-orchestrator';

export const BLUEPRINTS_STORE = 'failover-orchestrator-blueprints';
export const REGIONS_STORE = 'failover-orchestrator-regions';
export const REGION_REQUESTS_STORE = 'failover-orchestrator-requests';
/** The safety controls this task has seen (the pause; its regions' maintenance windows). */
export const REGION_CONTROLS_STORE = 'failover-orchestrator-controls';
