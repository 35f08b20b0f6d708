/** Dependency mapper: public API (see docs/dag-format.md). */
export {
  buildDag,
  DAG_FORMAT,
  type DagDocument,
  type DagEdge,
  launchOrderViolations,
  stronglyConnectedComponents,
} from './dag.js';
export { EVIDENCE_KINDS, type EvidenceKind } from './evidence.js';
export { currentDag, ingestEvidence, newRegionState, nextDag, type RegionDependencyState } from './mapper.js';
export { DEPENDENCY_MAP_APPLICATION_ID, STATE_STORE } from './names.js';
export { type DependencyMapOptions, type DependencyMapOptionsInput, dependencyMapOptionsSchema } from './options.js';
export { DependencyMapProcessor, dagRecord, EvidenceTagger } from './processor.js';
export { renderDagSvg } from './svg.js';
export { type DependencyMapTopologyOptions, dependencyMapTopology } from './topology.js';
