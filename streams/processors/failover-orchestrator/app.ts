/** Runs the failover orchestrator on Kafka as one StreamsApp (its inputs are co-partitioned). */
import type { KafkaConnection } from '../../runtime/config.js';
import { type Guarantee, StreamsApp } from '../../runtime/streams-app.js';
import { buildFailoverOrchestratorTopology, type FailoverOrchestratorTopologyOptions } from './topology.js';

export interface FailoverOrchestratorAppOptions extends FailoverOrchestratorTopologyOptions {
  connection?: KafkaConnection;
  guarantee?: Guarantee;
  stateDir?: string;
  commitIntervalMs?: number;
}

export async function startFailoverOrchestrator(options: FailoverOrchestratorAppOptions = {}): Promise<StreamsApp> {
  const app = new StreamsApp(buildFailoverOrchestratorTopology(options), {
    guarantee: options.guarantee ?? 'exactly-once',
    ...(options.connection === undefined ? {} : { connection: options.connection }),
    ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    ...(options.commitIntervalMs === undefined ? {} : { commitIntervalMs: options.commitIntervalMs }),
  });
  await app.start();
  return app;
}
