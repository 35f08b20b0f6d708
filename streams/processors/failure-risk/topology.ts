/**
 * Wiring of the failure-risk processors:
 *   metrics.samples -> failure-risk -> health.risk
 *   host.failures -> host-failure-outcomes
 *   deployments -> deployment-labels -> <app>-deployment-failures-repartition (key = host) -> deployment-outcomes
 * The repartition step puts a deployment's label on the partition of its host, where that host's
 * state and the task's model live. Serdes are injectable so unit tests run without a registry.
 */
import { avroSerde, jsonSerde, packedJsonSerde, type Serde, stringSerde } from '../../runtime/serdes.js';
import { keyValueStoreSpec, Topology } from '../../runtime/topology.js';
import type { HostSample } from '../metric-ingest/types.js';
import {
  DEPLOYMENT_LABELS_SUFFIX,
  DEPLOYMENT_STORE,
  DEPLOYMENTS_TOPIC,
  type Deployment,
  type DeploymentLabel,
  DeploymentLabelProcessor,
  FAILURES_TOPIC,
  type FailureRiskOptions,
  FailureRiskProcessor,
  HOST_STORE,
  type HostFailure,
  MODEL_STORE,
  RISK_TOPIC,
  RiskOutcomeProcessor,
  SAMPLES_TOPIC,
} from './failure-risk-processor.js';
import type { ModelState } from './model.js';
import type { HostRisk, HostRiskState } from './risk-engine.js';

export interface FailureRiskTopologyOptions {
  applicationId?: string;
  samplesTopic?: string;
  failuresTopic?: string;
  deploymentsTopic?: string;
  riskTopic?: string;
  sampleSerde?: Serde<HostSample>;
  failureSerde?: Serde<HostFailure>;
  deploymentSerde?: Serde<Deployment | null>;
  riskSerde?: Serde<HostRisk>;
  processor?: Partial<FailureRiskOptions>;
}

export function buildFailureRiskTopology(o: FailureRiskTopologyOptions = {}): Topology {
  const appId = o.applicationId ?? 'foreshadow-failure-risk';
  const labelsTopic = `${appId}-${DEPLOYMENT_LABELS_SUFFIX}`;
  const t = new Topology(appId);
  t.addSource({
    name: 'samples',
    topics: [o.samplesTopic ?? SAMPLES_TOPIC],
    keySerde: stringSerde,
    valueSerde: o.sampleSerde ?? avroSerde<HostSample>({ schemaPath: 'schemas/host-sample.avsc' }),
    timestampExtractor: (r) => r.value.timestamp,
  });
  t.addSource({
    name: 'failures',
    topics: [o.failuresTopic ?? FAILURES_TOPIC],
    keySerde: stringSerde,
    valueSerde: o.failureSerde ?? avroSerde<HostFailure>({ schemaPath: 'schemas/host-failure.avsc' }),
    timestampExtractor: (r) => r.value.timestamp,
  });
  t.addSource({
    name: 'deployments',
    topics: [o.deploymentsTopic ?? DEPLOYMENTS_TOPIC],
    keySerde: stringSerde,
    valueSerde: o.deploymentSerde ?? avroSerde<Deployment | null>({ schemaPath: 'schemas/deployment.avsc' }),
  });
  t.addSource({
    name: 'deployment-failures',
    topics: [labelsTopic],
    keySerde: stringSerde,
    valueSerde: jsonSerde<DeploymentLabel>(),
  });
  t.addInternalTopic({ name: labelsTopic, kind: 'repartition' });

  t.addProcessor('failure-risk', () => new FailureRiskProcessor(o.processor), ['samples']);
  t.addProcessor('host-failure-outcomes', () => new RiskOutcomeProcessor('host-failure', o.processor), ['failures']);
  t.addProcessor('deployment-labels', () => new DeploymentLabelProcessor(), ['deployments']);
  t.addProcessor('deployment-outcomes', () => new RiskOutcomeProcessor('deployment-failure', o.processor), [
    'deployment-failures',
  ]);

  const learners = ['failure-risk', 'host-failure-outcomes', 'deployment-outcomes'];
  t.addStateStore(
    keyValueStoreSpec<string, HostRiskState>(HOST_STORE, {
      keySerde: stringSerde,
      // The host state is mostly number arrays (scorer baselines, trend windows): packed float64
      // decodes ~20x faster than its JSON text and is less than half the changelog bytes.
      valueSerde: packedJsonSerde<HostRiskState>(),
    }),
    learners,
  );
  t.addStateStore(
    keyValueStoreSpec<string, ModelState>(MODEL_STORE, { keySerde: stringSerde, valueSerde: jsonSerde<ModelState>() }),
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
  t.addSink(
    {
      name: 'risk-out',
      topic: o.riskTopic ?? RISK_TOPIC,
      keySerde: stringSerde,
      valueSerde: o.riskSerde ?? avroSerde<HostRisk>({ schemaPath: 'schemas/host-risk.avsc' }),
    },
    ['failure-risk'],
  );
  return t;
}
