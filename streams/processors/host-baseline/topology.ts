/**
 * Wiring of the baseline processor: metrics.samples -> host-baseline -> health.baselines.
 * Serdes are injectable so unit tests run without a schema registry.
 */
import { HOST_BASELINE_RECORD, type HostBaseline } from '../../../schemas/records/host-baseline.js';
import { HOST_SAMPLE_RECORD, type HostSample } from '../../../schemas/records/host-sample.js';
import { BASELINES_TOPIC, SAMPLES_TOPIC } from '../../catalogue.js';
import { jsonSerde, type Serde, stringSerde } from '../../runtime/serdes.js';
import { keyValueStoreSpec, recordKeyString, Topology, windowStoreSpec } from '../../runtime/topology.js';
import { recordSerde } from '../../topic-serdes.js';
import { validatedSerde } from '../../validation/topic-validators.js';
import { type BaselineOptions, HOUR_MS, hourStart, WEEK_MS } from './baseline.js';
import { hostBaselineHeapBytes, hostBaselineStateSerde } from './baseline-state-codec.js';
import type { HostBaselineState, HourlyMeans } from './host-state.js';
import { BASELINE_STORE, HOST_BASELINE_APPLICATION_ID, HOURLY_STORE } from './names.js';
import type { HostBaselineOptions } from './options.js';
import { HostBaselineProcessor } from './processor.js';
import { DEFAULT_STATE_CACHE, HOST_STATE_UNCOMMITTED_WRITES, type StateCacheBudget } from './state-cache-budget.js';

/** Hourly means kept: the four past weeks behind the seasonal median, plus the current one. */
export const HOURLY_RETENTION_MS = 5 * WEEK_MS;

export interface HostBaselineTopologyOptions {
  applicationId?: string;
  inputTopic?: string;
  outputTopic?: string;
  sampleSerde?: Serde<HostSample>;
  baselineSerde?: Serde<HostBaseline>;
  processor?: Partial<HostBaselineOptions>;
  baseline?: BaselineOptions;
  /** Per task: memory for committed host states kept between records (DEFAULT_STATE_CACHE). */
  stateCache?: StateCacheBudget;
}

export function buildHostBaselineTopology(o: HostBaselineTopologyOptions = {}): Topology {
  const input = o.inputTopic ?? SAMPLES_TOPIC;
  const t = new Topology(o.applicationId ?? HOST_BASELINE_APPLICATION_ID);
  t.limitUncommittedWrites(HOST_STATE_UNCOMMITTED_WRITES);
  t.addSource({
    name: 'samples',
    topics: [input],
    keySerde: stringSerde,
    valueSerde: validatedSerde(SAMPLES_TOPIC, o.sampleSerde ?? recordSerde(HOST_SAMPLE_RECORD)),
    timestampExtractor: (r) => r.value.timestamp,
  });
  t.addProcessor('host-baseline', () => new HostBaselineProcessor(o.processor, o.baseline), ['samples']);
  t.addStateStore(
    keyValueStoreSpec<string, HostBaselineState>(BASELINE_STORE, {
      keySerde: stringSerde,
      // Read and written for every sample of a host: a compact binary codec (baseline-state-codec.ts).
      valueSerde: hostBaselineStateSerde(),
      decodedCacheMaxBytes: o.stateCache?.decodedMaxBytes ?? DEFAULT_STATE_CACHE.decodedMaxBytes,
      cacheMaxBytes: o.stateCache?.encodedMaxBytes ?? DEFAULT_STATE_CACHE.encodedMaxBytes,
      decodedSize: hostBaselineHeapBytes,
      // Samples are keyed by host (the processor falls back to the key when the value has none).
      prefetchKey: recordKeyString,
    }),
    ['host-baseline'],
  );
  t.addStateStore(
    windowStoreSpec<string, HourlyMeans>(HOURLY_STORE, {
      keySerde: stringSerde,
      valueSerde: jsonSerde<HourlyMeans>(),
      windowSizeMs: HOUR_MS,
      retentionMs: HOURLY_RETENTION_MS,
      // The sample's hour: ingest stamps records with their event time.
      prefetchWindow: (r) => {
        const host = recordKeyString(r);
        return host === undefined ? undefined : { key: host, windowStart: hourStart(r.timestamp) };
      },
    }),
    ['host-baseline'],
  );
  t.addSink(
    {
      name: 'baselines-out',
      topic: o.outputTopic ?? BASELINES_TOPIC,
      keySerde: stringSerde,
      valueSerde: o.baselineSerde ?? recordSerde(HOST_BASELINE_RECORD),
    },
    ['host-baseline'],
  );
  return t;
}
