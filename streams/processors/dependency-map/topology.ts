/**
 * The dependency-map topology: four JSON evidence sources → EvidenceTagger (re-key by region) →
 * repartition topic → DependencyMapProcessor → region.dependencies. The output serde defaults to
 * Avro through the registry (schemas/dependency-dag.avsc); tests may pass a JSON serde.
 */
import { DEPENDENCY_DAG_RECORD, type DependencyDag } from '../../../schemas/records/dependency-dag.js';
import { DEPENDENCIES_TOPIC } from '../../catalogue.js';
import { jsonSerde, type Serde, stringSerde } from '../../runtime/serdes.js';
import { keyValueStoreSpec, Topology } from '../../runtime/topology.js';
import { recordSerde } from '../../topic-serdes.js';
import type { RegionDependencyState } from './mapper.js';
import { DEPENDENCY_MAP_APPLICATION_ID, EVIDENCE_BY_REGION_SUFFIX, STATE_STORE } from './names.js';
import { type DependencyMapOptionsInput, dependencyMapOptions } from './options.js';
import { DependencyMapProcessor, EvidenceTagger, type TaggedEvidence } from './processor.js';

export interface DependencyMapTopologyOptions extends DependencyMapOptionsInput {
  applicationId?: string;
  outputTopic?: string;
  dagSerde?: Serde<DependencyDag>;
}

/** Keys may be absent on evidence topics (flows, spans): a null-tolerant string serde. */
const optionalString: Serde<string | null> = {
  serialize: (t, v) => stringSerde.serialize(t, v ?? ''),
  deserialize: (t, d) => (d.length === 0 ? null : stringSerde.deserialize(t, d)),
};

export function dependencyMapTopology(options: DependencyMapTopologyOptions = {}): Topology {
  const {
    applicationId = DEPENDENCY_MAP_APPLICATION_ID,
    outputTopic = DEPENDENCIES_TOPIC,
    dagSerde,
    ...rest
  } = options;
  const parsed = dependencyMapOptions(rest);
  const repartition = `${applicationId}-${EVIDENCE_BY_REGION_SUFFIX}`;
  const t = new Topology(applicationId);
  const topics = parsed.topics;
  t.addSource({
    name: 'evidence',
    topics: [topics.configs, topics.discovery, topics.flows, topics.spans],
    keySerde: optionalString,
    valueSerde: jsonSerde<unknown>(),
  });
  t.addProcessor('tag-evidence', () => new EvidenceTagger(rest), ['evidence']);
  t.addInternalTopic({ name: repartition, kind: 'repartition' });
  t.addSink(
    { name: 'evidence-by-region', topic: repartition, keySerde: stringSerde, valueSerde: jsonSerde<TaggedEvidence>() },
    ['tag-evidence'],
  );
  t.addSource({
    name: 'regional-evidence',
    topics: [repartition],
    keySerde: stringSerde,
    valueSerde: jsonSerde<TaggedEvidence>(),
  });
  t.addProcessor('dependency-map', () => new DependencyMapProcessor(rest), ['regional-evidence']);
  t.addStateStore(
    keyValueStoreSpec<string, RegionDependencyState>(STATE_STORE, {
      keySerde: stringSerde,
      valueSerde: jsonSerde<RegionDependencyState>(),
    }),
    ['dependency-map'],
  );
  t.addSink(
    {
      name: 'dags-out',
      topic: outputTopic,
      keySerde: stringSerde,
      valueSerde: dagSerde ?? recordSerde(DEPENDENCY_DAG_RECORD),
    },
    ['dependency-map'],
  );
  return t;
}
