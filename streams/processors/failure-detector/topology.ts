/**
 * The failure detector's topology: resource.probes (key resourceId) → FailureDetectorProcessor →
 * host.failures (key host). One sub-topology: a resource's observations from every vantage share
 * its partition. Serdes default to Avro through the registry; tests may pass JSON serdes.
 */
import { HOST_FAILURE_RECORD, type HostFailure } from '../../../schemas/records/host-failure.js';
import { RESOURCE_PROBE_RECORD, type ResourceProbe } from '../../../schemas/records/resource-probe.js';
import { FAILURES_TOPIC, PROBES_TOPIC } from '../../catalogue.js';
import { jsonSerde, type Serde, stringSerde } from '../../runtime/serdes.js';
import { keyValueStoreSpec, Topology } from '../../runtime/topology.js';
import { recordSerde } from '../../topic-serdes.js';
import { validatedSerde } from '../../validation/topic-validators.js';
import { FAILURE_DETECTOR_APPLICATION_ID, VERDICTS_STORE } from './names.js';
import type { FailureDetectorOptionsInput } from './options.js';
import { FailureDetectorProcessor, type TransitionListener } from './processor.js';
import type { TargetVerdict } from './quorum.js';

export interface FailureDetectorTopologyOptions {
  applicationId?: string;
  topics?: { probes?: string; failures?: string };
  serdes?: { probe?: Serde<ResourceProbe>; failure?: Serde<HostFailure> };
  detector?: FailureDetectorOptionsInput;
  onTransition?: TransitionListener;
}

export function buildFailureDetectorTopology(options: FailureDetectorTopologyOptions = {}): Topology {
  const t = new Topology(options.applicationId ?? FAILURE_DETECTOR_APPLICATION_ID);
  t.addSource<string, ResourceProbe>({
    name: 'probes',
    topics: [options.topics?.probes ?? PROBES_TOPIC],
    keySerde: stringSerde,
    valueSerde: validatedSerde(PROBES_TOPIC, options.serdes?.probe ?? recordSerde(RESOURCE_PROBE_RECORD)),
    timestampExtractor: (r) => Number(r.value.timestamp),
  });
  t.addProcessor('quorum', () => new FailureDetectorProcessor(options.detector, options.onTransition), ['probes']);
  t.addStateStore(
    keyValueStoreSpec<string, TargetVerdict>(VERDICTS_STORE, { keySerde: stringSerde, valueSerde: jsonSerde() }),
    ['quorum'],
  );
  t.addSink<string, HostFailure>(
    {
      name: 'failures-out',
      topic: options.topics?.failures ?? FAILURES_TOPIC,
      keySerde: stringSerde,
      valueSerde: options.serdes?.failure ?? recordSerde(HOST_FAILURE_RECORD),
    },
    ['quorum'],
  );
  return t;
}
