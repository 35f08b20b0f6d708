/**
 * The shadow-region topology: region.capacity and region.dependencies (keyed by region) plus the
 * deployments table re-keyed by region through a repartition topic → ShadowRegionProcessor →
 * region.blueprints. Serdes default to Avro through the registry; tests may pass JSON serdes.
 */
import { fileURLToPath } from 'node:url';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import type { StreamRecord } from '../../runtime/record.js';
import { avroSerde, jsonSerde, type Serde, stringSerde } from '../../runtime/serdes.js';
import { keyValueStoreSpec, Topology } from '../../runtime/topology.js';
import { validatedSerde } from '../../validation/topic-validators.js';
import type { CapacityFingerprintRecord } from '../capacity-fingerprint/processor.js';
import type { DependencyDagRecord } from '../dependency-map/processor.js';
import type { DeploymentRow, ShadowBlueprint } from './blueprint.js';
import {
  BLUEPRINTS_STORE,
  BLUEPRINTS_TOPIC,
  type BlueprintMemo,
  DAGS_TOPIC,
  DEPLOYMENTS_STORE,
  DEPLOYMENTS_TOPIC,
  FINGERPRINTS_TOPIC,
  INPUTS_STORE,
  type RegionInputs,
  type ShadowRegionOptionsInput,
  ShadowRegionProcessor,
} from './processor.js';

export const SHADOW_REGION_APPLICATION_ID = 'foreshadow-shadow-region';

export interface ShadowRegionTopologyOptions extends ShadowRegionOptionsInput {
  applicationId?: string;
  topics?: { fingerprints?: string; dags?: string; deployments?: string; blueprints?: string };
  serdes?: {
    fingerprint?: Serde<CapacityFingerprintRecord>;
    dag?: Serde<DependencyDagRecord>;
    deployment?: Serde<DeploymentRow>;
    blueprint?: Serde<ShadowBlueprint>;
  };
}

const schema = (name: string): string => fileURLToPath(new URL(`../../../schemas/${name}.avsc`, import.meta.url));

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
  const repartition = `${applicationId}-deployments-by-region-repartition`;
  const t = new Topology(applicationId);
  t.addSource({
    name: 'fingerprints',
    topics: [topics.fingerprints ?? FINGERPRINTS_TOPIC],
    keySerde: stringSerde,
    valueSerde: validatedSerde(
      'region.capacity',
      serdes.fingerprint ?? avroSerde<CapacityFingerprintRecord>({ schemaPath: schema('capacity-fingerprint') }),
    ),
  });
  t.addSource({
    name: 'dags',
    topics: [topics.dags ?? DAGS_TOPIC],
    keySerde: stringSerde,
    valueSerde: validatedSerde(
      'region.dependencies',
      serdes.dag ?? avroSerde<DependencyDagRecord>({ schemaPath: schema('dependency-dag') }),
    ),
  });
  t.addSource({
    name: 'deployments',
    topics: [topics.deployments ?? DEPLOYMENTS_TOPIC],
    keySerde: stringSerde,
    valueSerde: validatedSerde(
      'deployments',
      serdes.deployment ?? avroSerde<DeploymentRow>({ schemaPath: schema('deployment') }),
    ),
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
      valueSerde: serdes.blueprint ?? avroSerde<ShadowBlueprint>({ schemaPath: schema('shadow-blueprint') }),
    },
    ['shadow-region'],
  );
  return t;
}
