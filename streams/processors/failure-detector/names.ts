/**
 * The failure detector's persistent names: its application id (consumer group, internal topic
 * prefix) and its store (which fixes the changelog topic `<applicationId>-<store>-changelog`).
 * Renaming either is a state migration.
 */

export const FAILURE_DETECTOR_APPLICATION_ID = 'foreshadow-failure-detector';
/** resourceId␟address → TargetVerdict. */
export const VERDICTS_STORE = 'failure-detector-verdicts';
