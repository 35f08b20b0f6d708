/**
 * What the pipeline stage needs from the runtime and the domain processors, in one place, matched
 * to the code as it landed:
 *
 * 1. `streams/runtime/streams-app.ts` exporting `StreamsApp` (see foreshadow-runtime.ts);
 * 2. `streams/processors/host-baseline/topology.ts` exporting `buildHostBaselineTopology` with
 *    options { applicationId, inputTopic, outputTopic, sampleSerde, baselineSerde };
 * 3. `streams/processors/failure-risk/topology.ts` exporting `buildFailureRiskTopology` with
 *    options { applicationId, samplesTopic, failuresTopic, deploymentsTopic, riskTopic,
 *    sampleSerde, failureSerde, deploymentSerde, riskSerde }; risk records carry the sample's
 *    event time (the latency figure relies on it);
 * 4. each app's consumer group id = its application id, so progress is read from committed offsets.
 * Both apps read the samples topic (baseline and risk are siblings over the same input), so "the
 * pipeline" is the two apps in one process. A different name or shape is a change here only.
 */
import type { Topology } from '../../streams/runtime/topology.js';
import { loadExport, type Probe, probeRuntime, type StreamsAppConstructor } from './foreshadow-runtime.js';

export const BASELINE_MODULE = 'streams/processors/host-baseline/topology.ts';
export const BASELINE_EXPORT = 'buildHostBaselineTopology';
export const RISK_MODULE = 'streams/processors/failure-risk/topology.ts';
export const RISK_EXPORT = 'buildFailureRiskTopology';

// Kept here, not in foreshadow-pipeline.ts: importing that program would run it.
export interface PipelineConfig {
  brokers: string;
  /** Prefix: the apps are `<applicationId>-baseline` and `<applicationId>-risk`. */
  applicationId: string;
  samplesTopic: string;
  baselinesTopic: string;
  riskTopic: string;
  failuresTopic: string;
  deploymentsTopic: string;
  guarantee: 'eos' | 'alos';
  /** Undefined = the runtime's default, which is what production runs with. */
  commitIntervalMs?: number;
  stateDir: string;
}

export function pipelineGroups(applicationId: string): string[] {
  return [`${applicationId}-baseline`, `${applicationId}-risk`];
}

/** Options are passed as a plain record: serdes are the runtime's `Serde<T>` objects. */
export type TopologyBuilder = (options: Record<string, unknown>) => Topology;

export interface PipelinePlug {
  StreamsApp: StreamsAppConstructor;
  buildBaseline: TopologyBuilder;
  buildRisk: TopologyBuilder;
}

export async function probePipeline(): Promise<Probe<PipelinePlug>> {
  const [runtime, baseline, risk] = await Promise.all([
    probeRuntime(),
    loadExport(BASELINE_MODULE, BASELINE_EXPORT),
    loadExport(RISK_MODULE, RISK_EXPORT),
  ]);
  const missing: string[] = [];
  if (!runtime.ok) missing.push(runtime.reason);
  if (!baseline.ok) missing.push(baseline.reason);
  else if (typeof baseline.value !== 'function') missing.push(`${BASELINE_EXPORT} is not a function`);
  if (!risk.ok) missing.push(risk.reason);
  else if (typeof risk.value !== 'function') missing.push(`${RISK_EXPORT} is not a function`);
  if (missing.length > 0 || !runtime.ok || !baseline.ok || !risk.ok) return { ok: false, reason: missing.join('; ') };
  return {
    ok: true,
    value: {
      StreamsApp: runtime.value,
      buildBaseline: baseline.value as TopologyBuilder,
      buildRisk: risk.value as TopologyBuilder,
    },
  };
}
