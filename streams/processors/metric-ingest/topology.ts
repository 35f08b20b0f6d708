/**
 * Wiring of the ingest: metrics.raw (bytes) -> metric-parse -> <app>-parsed-repartition (key = host)
 * -> metric-ingest -> metrics.samples (Avro). Serdes are injectable so unit tests run without a
 * schema registry.
 */
import { HOST_SAMPLE_RECORD, type HostSample } from '../../../schemas/records/host-sample.js';
import { RAW_METRICS_TOPIC, SAMPLES_TOPIC } from '../../catalogue.js';
import { bytesSerde, jsonSerde, type Serde, stringSerde } from '../../runtime/serdes.js';
import { keyValueStoreSpec, Topology } from '../../runtime/topology.js';
import { recordSerde } from '../../topic-serdes.js';
import { COUNTER_STORE, METRIC_INGEST_APPLICATION_ID, PARSED_SUFFIX } from './names.js';
import type { CounterState } from './normalise.js';
import type { MetricIngestOptions } from './options.js';
import type { AvroDecoder } from './parse-raw.js';
import { MetricIngestProcessor, MetricParseProcessor } from './processor.js';
import type { ParsedSample } from './types.js';

export interface MetricIngestTopologyOptions {
  applicationId?: string;
  inputTopic?: string;
  outputTopic?: string;
  /** Serde of the canonical samples; default Avro via the registry (schemas/host-sample.avsc). */
  sampleSerde?: Serde<HostSample>;
  /** Decoder for Avro records on the input; default the registry serde of host-sample. */
  decodeAvro?: AvroDecoder;
  processor?: Partial<MetricIngestOptions>;
}

export function buildMetricIngestTopology(o: MetricIngestTopologyOptions = {}): Topology {
  const input = o.inputTopic ?? RAW_METRICS_TOPIC;
  const output = o.outputTopic ?? SAMPLES_TOPIC;
  const sampleSerde = o.sampleSerde ?? recordSerde(HOST_SAMPLE_RECORD);
  const decodeAvro: AvroDecoder = o.decodeAvro ?? (async (data) => sampleSerde.deserialize(input, data));
  const appId = o.applicationId ?? METRIC_INGEST_APPLICATION_ID;
  const parsedTopic = `${appId}-${PARSED_SUFFIX}`;
  const t = new Topology(appId);
  t.addSource({ name: 'raw', topics: [input], keySerde: bytesSerde, valueSerde: bytesSerde });
  t.addProcessor('metric-parse', () => new MetricParseProcessor(o.processor, decodeAvro), ['raw']);
  t.addInternalTopic({ name: parsedTopic, kind: 'repartition' });
  t.addSink({ name: 'parsed-out', topic: parsedTopic, keySerde: stringSerde, valueSerde: jsonSerde<ParsedSample>() }, [
    'metric-parse',
  ]);
  t.addSource({
    name: 'parsed',
    topics: [parsedTopic],
    keySerde: stringSerde,
    valueSerde: jsonSerde<ParsedSample>(),
    timestampExtractor: (r) => r.value.timestamp,
  });
  t.addProcessor('metric-ingest', () => new MetricIngestProcessor(o.processor), ['parsed']);
  t.addStateStore(
    keyValueStoreSpec<string, CounterState>(COUNTER_STORE, {
      keySerde: stringSerde,
      valueSerde: jsonSerde<CounterState>(),
    }),
    ['metric-ingest'],
  );
  t.addSink({ name: 'samples-out', topic: output, keySerde: stringSerde, valueSerde: sampleSerde }, ['metric-ingest']);
  return t;
}
