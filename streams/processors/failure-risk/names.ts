/**
 * The failure-risk app's persistent names: its application id (consumer group, internal topic
 * prefix), its store names (each fixes the changelog topic `<applicationId>-<store>-changelog`), the
 * model's key and its repartition topic. Renaming any of them is a state migration.
 */

export const FAILURE_RISK_APPLICATION_ID = 'foreshadow-failure-risk';

export const HOST_STORE = 'failure-risk-hosts';
export const MODEL_STORE = 'failure-risk-model';
export const DEPLOYMENT_STORE = 'failure-risk-deployments';
/** The one key of the model store (one model per task). */
export const MODEL_KEY = 'model';

/** Internal topic suffix of failed deployments re-keyed by host. */
export const DEPLOYMENT_LABELS_SUFFIX = 'deployment-failures-repartition';
