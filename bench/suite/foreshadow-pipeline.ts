/**
 * The Foreshadow pipeline under test (canonical samples -> host baseline and failure risk), run as
 * a child process so its peak RSS and state directory belong to it alone and two copies can share
 * the load. Both apps run in this one process. Exits 3 with "NOT_AVAILABLE: <reason>" until the
 * runtime and the processors exist.
 *
 * Usage: foreshadow-pipeline.ts '<PipelineConfig as JSON>'
 */
import { parseFlagsOrExit } from '../../cli/args.js';
import { jsonSerde } from '../../streams/runtime/serdes.js';
import { type PipelineConfig, pipelineGroups, probePipeline } from './pipeline-contract.js';

async function main(): Promise<void> {
  const { positionals } = parseFlagsOrExit(process.argv.slice(2), {
    command: 'foreshadow-pipeline',
    usage: "usage: foreshadow-pipeline.ts '<PipelineConfig as JSON>'",
    options: {},
    positionals: true,
  });
  if (positionals.length > 1) {
    console.error("usage: foreshadow-pipeline.ts '<PipelineConfig as JSON>'");
    process.exit(2);
  }
  const config = JSON.parse(positionals[0] ?? '{}') as PipelineConfig;
  const probe = await probePipeline();
  if (!probe.ok) {
    console.log(`NOT_AVAILABLE: ${probe.reason}`);
    process.exit(3);
  }
  process.env.KAFKA_BROKERS = config.brokers;
  process.env.FORESHADOW_STATE_DIR = config.stateDir;
  // JSON values: the bench must not depend on the schema registry being up; every topology
  // takes its serdes as options for exactly this.
  const [baselineId, riskId] = pipelineGroups(config.applicationId);
  const baseline = probe.value.buildBaseline({
    applicationId: baselineId,
    inputTopic: config.samplesTopic,
    outputTopic: config.baselinesTopic,
    sampleSerde: jsonSerde(),
    baselineSerde: jsonSerde(),
  });
  const risk = probe.value.buildRisk({
    applicationId: riskId,
    samplesTopic: config.samplesTopic,
    failuresTopic: config.failuresTopic,
    deploymentsTopic: config.deploymentsTopic,
    riskTopic: config.riskTopic,
    sampleSerde: jsonSerde(),
    failureSerde: jsonSerde(),
    deploymentSerde: jsonSerde(),
    riskSerde: jsonSerde(),
  });
  const options = {
    guarantee: config.guarantee === 'eos' ? ('exactly-once' as const) : ('at-least-once' as const),
    ...(config.commitIntervalMs === undefined ? {} : { commitIntervalMs: config.commitIntervalMs }),
  };
  const apps = [new probe.value.StreamsApp(baseline, options), new probe.value.StreamsApp(risk, options)];
  const stop = (): void => {
    Promise.all(apps.map((a) => a.close())).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  console.log(`STARTING ${Date.now()}`);
  // One after the other: both apps create the samples topic's dead-letter topic, and starting them
  // together races those creations.
  for (const app of apps) await app.start();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
