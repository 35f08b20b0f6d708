/**
 * The capacity-fingerprint topology: metrics.samples (keyed by host) → re-key by region →
 * repartition topic → CapacityFingerprintProcessor → region.capacity. Input and output serdes
 * default to Avro through the registry; tests may pass JSON serdes.
 */
import {
  CAPACITY_FINGERPRINT_RECORD,
  type CapacityFingerprint,
} from '../../../schemas/records/capacity-fingerprint.js';
import { HOST_SAMPLE_RECORD } from '../../../schemas/records/host-sample.js';
import { CAPACITY_TOPIC, SAMPLES_TOPIC } from '../../catalogue.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import type { StreamRecord } from '../../runtime/record.js';
import { jsonSerde, type Serde, stringSerde } from '../../runtime/serdes.js';
import { keyValueStoreSpec, Topology } from '../../runtime/topology.js';
import { recordSerde } from '../../topic-serdes.js';
import { validatedSerde } from '../../validation/topic-validators.js';
import { CAPACITY_APPLICATION_ID, EMITTED_STORE, MEANS_STORE, PANES_STORE, SAMPLES_BY_REGION_SUFFIX } from './names.js';
import type { CapacityOptionsInput } from './options.js';
import { CapacityFingerprintProcessor, type CapacitySample } from './processor.js';
import { decayedMeansSerde, emittedSerde, paneSerde } from './state-serde.js';

export interface CapacityTopologyOptions extends CapacityOptionsInput {
  applicationId?: string;
  inputTopic?: string;
  outputTopic?: string;
  sampleSerde?: Serde<CapacitySample>;
  fingerprintSerde?: Serde<CapacityFingerprint>;
}

/** Re-keys samples by region so that one task sees all of a region's hosts. */
export class RegionKeyer implements Processor<string, CapacitySample, string, CapacitySample> {
  private ctx!: ProcessorContext<string, CapacitySample>;

  init(context: ProcessorContext<string, CapacitySample>): void {
    this.ctx = context;
  }

  process(record: StreamRecord<string, CapacitySample>): void {
    if (!record.value?.region) return;
    this.ctx.forward(record.withKey(record.value.region));
  }
}

export function capacityTopology(options: CapacityTopologyOptions = {}): Topology {
  const {
    applicationId = CAPACITY_APPLICATION_ID,
    inputTopic = SAMPLES_TOPIC,
    outputTopic = CAPACITY_TOPIC,
    sampleSerde,
    fingerprintSerde,
    ...rest
  } = options;
  const repartition = `${applicationId}-${SAMPLES_BY_REGION_SUFFIX}`;
  const samples = validatedSerde(SAMPLES_TOPIC, sampleSerde ?? recordSerde(HOST_SAMPLE_RECORD));
  const t = new Topology(applicationId);
  t.addSource({
    name: 'samples',
    topics: [inputTopic],
    keySerde: stringSerde,
    valueSerde: samples,
    timestampExtractor: (r) => Number(r.value.timestamp),
  });
  t.addProcessor('by-region', () => new RegionKeyer(), ['samples']);
  t.addInternalTopic({ name: repartition, kind: 'repartition' });
  // The repartition hop stays JSON: internal, and the registry need not know it.
  t.addSink(
    { name: 'samples-by-region', topic: repartition, keySerde: stringSerde, valueSerde: jsonSerde<CapacitySample>() },
    ['by-region'],
  );
  t.addSource({
    name: 'regional-samples',
    topics: [repartition],
    keySerde: stringSerde,
    valueSerde: jsonSerde<CapacitySample>(),
    timestampExtractor: (r) => Number(r.value.timestamp),
  });
  t.addProcessor('capacity-fingerprint', () => new CapacityFingerprintProcessor(rest), ['regional-samples']);
  t.addStateStore(keyValueStoreSpec(PANES_STORE, { keySerde: stringSerde, valueSerde: paneSerde }), [
    'capacity-fingerprint',
  ]);
  t.addStateStore(keyValueStoreSpec(MEANS_STORE, { keySerde: stringSerde, valueSerde: decayedMeansSerde }), [
    'capacity-fingerprint',
  ]);
  t.addStateStore(keyValueStoreSpec(EMITTED_STORE, { keySerde: stringSerde, valueSerde: emittedSerde }), [
    'capacity-fingerprint',
  ]);
  t.addSink(
    {
      name: 'fingerprints-out',
      topic: outputTopic,
      keySerde: stringSerde,
      valueSerde: fingerprintSerde ?? recordSerde(CAPACITY_FINGERPRINT_RECORD),
    },
    ['capacity-fingerprint'],
  );
  return t;
}
