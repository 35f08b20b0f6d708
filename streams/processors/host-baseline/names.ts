/**
 * The host-baseline app's persistent names: its application id (consumer group, internal topic
 * prefix) and its store names (each fixes the changelog topic `<applicationId>-<store>-changelog`).
 * Renaming any of them is a state migration.
 */

export const HOST_BASELINE_APPLICATION_ID = 'foreshadow-host-baseline';

export const BASELINE_STORE = 'host-baseline-state';
export const HOURLY_STORE = 'host-baseline-hourly';
