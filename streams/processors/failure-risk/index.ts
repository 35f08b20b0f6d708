/** Failure risk (predictive failure analysis): public API. */
export { type FailureRiskAppOptions, type RunningFailureRisk, startFailureRisk } from './app.js';
export {
  buildRiskTrainerTopology,
  ensureFleetModelTopics,
  type ModelFeed,
  type PublishedModel,
  type RiskExample,
  RiskTrainerProcessor,
  riskExampleSerde,
  tableModelFeed,
} from './fleet-model.js';
export {
  DEPLOYMENT_LABELS_SUFFIX,
  DEPLOYMENT_STORE,
  examplesTopic,
  FAILURE_RISK_APPLICATION_ID,
  FLEET_MODEL_KEY,
  HOST_STORE,
  modelTopic,
  RETIRED_MODEL_STORE,
  TRAINER_STORE,
  trainerApplicationId,
} from './names.js';
export { type FailureRiskOptions, failureRiskOptionsSchema, riskOptions } from './options.js';
export {
  type DeploymentInput,
  type DeploymentLabel,
  DeploymentLabelProcessor,
  EXAMPLES_CHILD,
  FailureRiskProcessor,
  RISK_CHILD,
  RiskOutcomeProcessor,
} from './processor.js';
export { buildFailureRiskTopology, type FailureRiskTopologyOptions } from './topology.js';
