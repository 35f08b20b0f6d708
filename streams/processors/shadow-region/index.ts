/** Shadow region manager: public API. */
export {
  buildBlueprint,
  DEFAULT_SIZING,
  type DeploymentRow,
  sizeService,
} from './blueprint.js';
export { ShadowRegionProcessor, shadowRegionName } from './processor.js';
export { SHADOW_REGION_APPLICATION_ID, shadowRegionTopology } from './topology.js';
