/** Shadow region manager: public API. */
export {
  type BlueprintService,
  buildBlueprint,
  DEFAULT_SIZING,
  type DeploymentRow,
  type ShadowBlueprint,
  sizeService,
} from './blueprint.js';
export { BLUEPRINTS_TOPIC, ShadowRegionProcessor, shadowRegionName } from './processor.js';
export { SHADOW_REGION_APPLICATION_ID, shadowRegionTopology } from './topology.js';
