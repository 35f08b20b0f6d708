/** Failure detector (quorum judge over the probers' observations): public API. */
export { type FailureDetectorAppOptions, startFailureDetector } from './app.js';
export { FAILURE_DETECTOR_APPLICATION_ID, VERDICTS_STORE } from './names.js';
export { type FailureDetectorOptions, type FailureDetectorOptionsInput, failureDetectorOptions } from './options.js';
export { FailureDetectorProcessor, type TransitionListener } from './processor.js';
export { judge, type TargetVerdict, targetKey, votesDown } from './quorum.js';
export { buildFailureDetectorTopology, type FailureDetectorTopologyOptions } from './topology.js';
