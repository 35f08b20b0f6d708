/**
 * The shadow-region topology: region.capacity and region.dependencies (keyed by region) plus the
 * deployments table re-keyed by region through a repartition topic → ShadowRegionProcessor →
 * region.blueprints. Serdes default to Avro through the registry; tests may pass JSON serdes.
 */
import {
  CAPACITY_FINGERPRINT_RECORD,
  type CapacityFingerprint,
} from '../../../schemas/records/capacity-fingerprint.js';
import { DEPENDENCY_DAG_RECORD, type DependencyDag } from '../../../schemas/records/dependency-dag.js';
import { DEPLOYMENT_RECORD } from '../../../schemas/records/deployment.js';
import { SHADOW_BLUEPRINT_RECORD, type ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import { BLUEPRINTS_TOPIC, CAPACITY_TOPIC, DEPENDENCIES_TOPIC, DEPLOYMENTS_TOPIC } from '../../catalogue.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import type { StreamRecord } from '../../runtime/record.js';
import { jsonSerde, type Serde, stringSerde } from '../../runtime/serdes.js';
import { keyValueStoreSpec, Topology } from '../../runtime/topology.js';
import { recordSerde } from '../../topic-serdes.js';
import { validatedSerde } from '../../validation/topic-validators.js';
import type { DeploymentRow } from './blueprint.js';
import {
  BLUEPRINTS_STORE,
  DEPLOYMENTS_BY_REGION_SUFFIX,
  DEPLOYMENTS_STORE,
  INPUTS_STORE,
  SHADOW_REGION_APPLICATION_ID,
} from './names.js';
import type { ShadowRegionOptionsInput } from './options.js';
import { type BlueprintMemo, type RegionInputs, ShadowRegionProcessor } from './processor.js';

export interface ShadowRegionTopologyOptions extends ShadowRegionOptionsInput {
  applicationId?: string;
  topics?: { fingerprints?: string; dags?: string; deployments?: string; blueprints?: string };
  serdes?: {
    fingerprint?: Serde<CapacityFingerprint>;
    dag?: Serde<DependencyDag>;
    deployment?: Serde<DeploymentRow>;
    blueprint?: Serde<ShadowBlueprint>;
  };
}

/** Re-keys deployment rows by region (rows without one, and tombstones, cannot be routed). */
export class DeploymentRegionKeyer implements Processor<string, DeploymentRow | null, string, DeploymentRow> {
  private ctx!: ProcessorContext<string, DeploymentRow>;

  init(context: ProcessorContext<string, DeploymentRow>): void {
    this.ctx = context;
  }

  process(record: StreamRecord<string, DeploymentRow | null>): void {
    const row = record.value;
    if (!row?.region) return;
    this.ctx.forward(record.withKey(row.region).withValue(row));
  }
}

export function shadowRegionTopology(options: ShadowRegionTopologyOptions = {}): Topology {
  const { applicationId = SHADOW_REGION_APPLICATION_ID, topics = {}, serdes = {}, ...rest } = options;
  const repartition = `${applicationId}-${DEPLOYMENTS_BY_REGION_SUFFIX}`;
  const t = new Topology(applicationId);
  t.addSource({
    name: 'fingerprints',
    topics: [topics.fingerprints ?? CAPACITY_TOPIC],
    keySerde: stringSerde,
    valueSerde: validatedSerde(CAPACITY_TOPIC, serdes.fingerprint ?? recordSerde(CAPACITY_FINGERPRINT_RECORD)),
  });
  t.addSource({
    name: 'dags',
    topics: [topics.dags ?? DEPENDENCIES_TOPIC],
    keySerde: stringSerde,
    valueSerde: validatedSerde(DEPENDENCIES_TOPIC, serdes.dag ?? recordSerde(DEPENDENCY_DAG_RECORD)),
  });
  t.addSource({
    name: 'deployments',
    topics: [topics.deployments ?? DEPLOYMENTS_TOPIC],
    keySerde: stringSerde,
    valueSerde: validatedSerde(DEPLOYMENTS_TOPIC, serdes.deployment ?? recordSerde(DEPLOYMENT_RECORD)),
  });
  t.addProcessor('deployments-by-region', () => new DeploymentRegionKeyer(), ['deployments']);
  t.addInternalTopic({ name: repartition, kind: 'repartition' });
  t.addSink(
    {
      name: 'deployments-repartition',
      topic: repartition,
      keySerde: stringSerde,
      valueSerde: jsonSerde<DeploymentRow>(),
    },
    ['deployments-by-region'],
  );
  t.addSource({
    name: 'regional-deployments',
    topics: [repartition],
    keySerde: stringSerde,
    valueSerde: jsonSerde<DeploymentRow>(),
  });
  t.addProcessor('shadow-region', () => new ShadowRegionProcessor(rest), [
    'fingerprints',
    'dags',
    'regional-deployments',
  ]);
  t.addStateStore(
    keyValueStoreSpec<string, RegionInputs>(INPUTS_STORE, { keySerde: stringSerde, valueSerde: jsonSerde() }),
    ['shadow-region'],
  );
  t.addStateStore(
    keyValueStoreSpec<string, DeploymentRow>(DEPLOYMENTS_STORE, { keySerde: stringSerde, valueSerde: jsonSerde() }),
    ['shadow-region'],
  );
  t.addStateStore(
    keyValueStoreSpec<string, BlueprintMemo>(BLUEPRINTS_STORE, { keySerde: stringSerde, valueSerde: jsonSerde() }),
    ['shadow-region'],
  );
  t.addSink(
    {
      name: 'blueprints-out',
      topic: topics.blueprints ?? BLUEPRINTS_TOPIC,
      keySerde: stringSerde,
      valueSerde: serdes.blueprint ?? recordSerde(SHADOW_BLUEPRINT_RECORD),
    },
    ['shadow-region'],
  );
  return t;
}
