/** Failure risk (predictive failure analysis): public API. */
export {
  DEPLOYMENT_LABELS_SUFFIX,
  DEPLOYMENT_STORE,
  FAILURE_RISK_APPLICATION_ID,
  HOST_STORE,
  MODEL_KEY,
  MODEL_STORE,
} from './names.js';
export { type FailureRiskOptions, failureRiskOptionsSchema, riskOptions } from './options.js';
export {
  type DeploymentInput,
  type DeploymentLabel,
  DeploymentLabelProcessor,
  FailureRiskProcessor,
  RiskOutcomeProcessor,
} from './processor.js';
export { buildFailureRiskTopology, type FailureRiskTopologyOptions } from './topology.js';
