/**
 * The failure-risk app's persistent names: its application id (consumer group, internal topic
 * prefix), its store names (each fixes the changelog topic `<applicationId>-<store>-changelog`), the
 * model's key and its repartition topic. Renaming any of them is a state migration.
 */

export const FAILURE_RISK_APPLICATION_ID = 'foreshadow-failure-risk';

export const HOST_STORE = 'failure-risk-hosts';
export const DEPLOYMENT_STORE = 'failure-risk-deployments';
/**
 * The per-task model store of the versions before the fleet model: no longer read (its changelog
 * `<applicationId>-failure-risk-model-changelog` can be deleted); named so it is not reused.
 */
export const RETIRED_MODEL_STORE = 'failure-risk-model';

/** The fleet model (fleet-model.ts): its key on the model topic and in the trainer's store. */
export const FLEET_MODEL_KEY = 'model';
export const TRAINER_STORE = 'risk-trainer-model';

/** One-partition topic of labelled examples, from every task to the trainer. */
export function examplesTopic(applicationId: string): string {
  return `${applicationId}-risk-examples`;
}

/** One-partition compacted topic of the fleet model, from the trainer to every instance. */
export function modelTopic(applicationId: string): string {
  return `${applicationId}-risk-model`;
}

/** The trainer runs as its own app (a topology's sources must share one partition count). */
export function trainerApplicationId(applicationId: string): string {
  return `${applicationId}-trainer`;
}

/** Internal topic suffix of failed deployments re-keyed by host. */
export const DEPLOYMENT_LABELS_SUFFIX = 'deployment-failures-repartition';
