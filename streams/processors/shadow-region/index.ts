/** Shadow region manager (shadow-region blueprints): public API. */
export {
  buildBlueprint,
  DEFAULT_SIZING,
  type DeploymentRow,
  type SizingDecision,
  type SizingOptions,
  sizeService,
} from './blueprint.js';
export {
  BLUEPRINTS_STORE,
  DEPLOYMENTS_BY_REGION_SUFFIX,
  DEPLOYMENTS_STORE,
  INPUTS_STORE,
  SHADOW_REGION_APPLICATION_ID,
} from './names.js';
export { type ShadowRegionOptions, type ShadowRegionOptionsInput, shadowRegionOptionsSchema } from './options.js';
export { ShadowRegionProcessor, shadowRegionName } from './processor.js';
export { DeploymentRegionKeyer, type ShadowRegionTopologyOptions, shadowRegionTopology } from './topology.js';
