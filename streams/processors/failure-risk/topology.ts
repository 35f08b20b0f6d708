/**
 * Wiring of the failure-risk processors:
 *   metrics.samples -> failure-risk -> health.risk
 *                                  \-> <app>-risk-examples (labelled examples for the fleet's trainer)
 *   host.failures -> host-failure-outcomes -> <app>-risk-examples
 *   deployments -> deployment-labels -> <app>-deployment-failures-repartition (key = host) -> deployment-outcomes -> <app>-risk-examples
 * The trainer (its own app, fleet-model.ts) turns the examples into the fleet's model; the
 * processors score with the model the `modelFeed` holds (the prior when none is given).
 * The repartition step puts a deployment's label on the partition of its host, where that host's
 * state and the task's model live. Serdes are injectable so unit tests run without a registry.
 * host.failures is joined with the samples in the per-host store, so the two are co-partitioned
 * (same key, same partition count); deployments, though re-keyed here, needs that count too, since
 * the runtime runs the whole topology as one sub-topology (streams/catalogue.ts explains).
 */
import { DEPLOYMENT_RECORD } from '../../../schemas/records/deployment.js';
import { HOST_FAILURE_RECORD, type HostFailure } from '../../../schemas/records/host-failure.js';
import { HOST_RISK_RECORD, type HostRisk } from '../../../schemas/records/host-risk.js';
import { HOST_SAMPLE_RECORD, type HostSample } from '../../../schemas/records/host-sample.js';
import { DEPLOYMENTS_TOPIC, FAILURES_TOPIC, RISK_TOPIC, SAMPLES_TOPIC } from '../../catalogue.js';
import { jsonSerde, type Serde, stringSerde } from '../../runtime/serdes.js';
import { keyValueStoreSpec, recordKeyString, Topology } from '../../runtime/topology.js';
import { recordSerde } from '../../topic-serdes.js';
import { validatedSerde } from '../../validation/topic-validators.js';
import {
  DEFAULT_STATE_CACHE,
  HOST_STATE_UNCOMMITTED_WRITES,
  type StateCacheBudget,
} from '../host-baseline/state-cache-budget.js';
import { type ModelFeed, priorModelFeed, type RiskExample, riskExampleSerde } from './fleet-model.js';
import {
  DEPLOYMENT_LABELS_SUFFIX,
  DEPLOYMENT_STORE,
  examplesTopic,
  FAILURE_RISK_APPLICATION_ID,
  HOST_STORE,
} from './names.js';
import type { FailureRiskOptions } from './options.js';
import {
  type DeploymentInput,
  type DeploymentLabel,
  DeploymentLabelProcessor,
  EXAMPLES_CHILD,
  FailureRiskProcessor,
  RISK_CHILD,
  RiskOutcomeProcessor,
} from './processor.js';
import type { HostRiskState } from './risk-engine.js';
import { hostRiskHeapBytes, hostRiskStateSerde } from './risk-state-codec.js';

export interface FailureRiskTopologyOptions {
  applicationId?: string;
  samplesTopic?: string;
  failuresTopic?: string;
  deploymentsTopic?: string;
  riskTopic?: string;
  sampleSerde?: Serde<HostSample>;
  failureSerde?: Serde<HostFailure>;
  deploymentSerde?: Serde<DeploymentInput | null>;
  riskSerde?: Serde<HostRisk>;
  processor?: Partial<FailureRiskOptions>;
  /** The fleet model to score with (fleet-model.ts); default the prior, for runs without a trainer. */
  modelFeed?: ModelFeed;
  /** Where labelled examples go; default `<applicationId>-risk-examples`. */
  examplesTopic?: string;
  /** Per task: memory for committed host states kept between records (DEFAULT_STATE_CACHE). */
  stateCache?: StateCacheBudget;
}

export function buildFailureRiskTopology(o: FailureRiskTopologyOptions = {}): Topology {
  const appId = o.applicationId ?? FAILURE_RISK_APPLICATION_ID;
  const labelsTopic = `${appId}-${DEPLOYMENT_LABELS_SUFFIX}`;
  const t = new Topology(appId);
  t.limitUncommittedWrites(HOST_STATE_UNCOMMITTED_WRITES);
  t.addSource({
    name: 'samples',
    topics: [o.samplesTopic ?? SAMPLES_TOPIC],
    keySerde: stringSerde,
    valueSerde: validatedSerde(SAMPLES_TOPIC, o.sampleSerde ?? recordSerde(HOST_SAMPLE_RECORD)),
    timestampExtractor: (r) => r.value.timestamp,
  });
  t.addSource({
    name: 'failures',
    topics: [o.failuresTopic ?? FAILURES_TOPIC],
    keySerde: stringSerde,
    valueSerde: validatedSerde(FAILURES_TOPIC, o.failureSerde ?? recordSerde(HOST_FAILURE_RECORD)),
    timestampExtractor: (r) => r.value.timestamp,
  });
  t.addSource({
    name: 'deployments',
    topics: [o.deploymentsTopic ?? DEPLOYMENTS_TOPIC],
    keySerde: stringSerde,
    valueSerde: validatedSerde(DEPLOYMENTS_TOPIC, o.deploymentSerde ?? recordSerde(DEPLOYMENT_RECORD)),
  });
  t.addSource({
    name: 'deployment-failures',
    topics: [labelsTopic],
    keySerde: stringSerde,
    valueSerde: jsonSerde<DeploymentLabel>(),
  });
  t.addInternalTopic({ name: labelsTopic, kind: 'repartition' });

  const feed = o.modelFeed ?? priorModelFeed();
  t.addProcessor('failure-risk', () => new FailureRiskProcessor(o.processor, feed), ['samples']);
  t.addProcessor('host-failure-outcomes', () => new RiskOutcomeProcessor('host-failure', o.processor, feed), [
    'failures',
  ]);
  t.addProcessor('deployment-labels', () => new DeploymentLabelProcessor(), ['deployments']);
  t.addProcessor('deployment-outcomes', () => new RiskOutcomeProcessor('deployment-failure', o.processor, feed), [
    'deployment-failures',
  ]);

  const learners = ['failure-risk', 'host-failure-outcomes', 'deployment-outcomes'];
  const hostKeyed = new Set([o.samplesTopic ?? SAMPLES_TOPIC, o.failuresTopic ?? FAILURES_TOPIC]);
  t.addStateStore(
    keyValueStoreSpec<string, HostRiskState>(HOST_STORE, {
      keySerde: stringSerde,
      // Read and written for every sample of a host: a compact binary codec (risk-state-codec.ts).
      valueSerde: hostRiskStateSerde(),
      decodedCacheMaxBytes: o.stateCache?.decodedMaxBytes ?? DEFAULT_STATE_CACHE.decodedMaxBytes,
      cacheMaxBytes: o.stateCache?.encodedMaxBytes ?? DEFAULT_STATE_CACHE.encodedMaxBytes,
      decodedSize: hostRiskHeapBytes,
      // Samples and failures are keyed by host; deployments and labels by other ids.
      prefetchKey: (r) => (hostKeyed.has(r.topic) ? recordKeyString(r) : undefined),
    }),
    learners,
  );
  t.addStateStore(
    keyValueStoreSpec<string, string>(DEPLOYMENT_STORE, { keySerde: stringSerde, valueSerde: jsonSerde<string>() }),
    ['deployment-labels'],
  );

  t.addSink(
    {
      name: 'deployment-labels-out',
      topic: labelsTopic,
      keySerde: stringSerde,
      valueSerde: jsonSerde<DeploymentLabel>(),
    },
    ['deployment-labels'],
  );
  t.addSink<string, RiskExample>(
    {
      name: EXAMPLES_CHILD,
      topic: o.examplesTopic ?? examplesTopic(appId),
      keySerde: stringSerde,
      valueSerde: riskExampleSerde(),
      // One partition: the fleet has one trainer.
      partitioner: () => 0,
    },
    learners,
  );
  t.addSink(
    {
      name: RISK_CHILD,
      topic: o.riskTopic ?? RISK_TOPIC,
      keySerde: stringSerde,
      valueSerde: o.riskSerde ?? recordSerde(HOST_RISK_RECORD),
    },
    ['failure-risk'],
  );
  return t;
}
