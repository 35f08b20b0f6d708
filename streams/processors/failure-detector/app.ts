/**
 * Runs the failure detector on Kafka as one StreamsApp (exactly-once: a declared failure leaves
 * with the verdict that declared it, so a restart neither loses nor repeats it). Status changes
 * are logged through the app's logger.
 */
import type { KafkaConnection } from '../../runtime/config.js';
import { type Guarantee, StreamsApp } from '../../runtime/streams-app.js';
import { silenceMs } from './quorum.js';
import { buildFailureDetectorTopology, type FailureDetectorTopologyOptions } from './topology.js';

export interface FailureDetectorAppOptions extends FailureDetectorTopologyOptions {
  connection?: KafkaConnection;
  guarantee?: Guarantee;
  stateDir?: string;
  /** Outputs leave at commit: the interval adds to detection time (default 100 ms). */
  commitIntervalMs?: number;
  metricsPort?: number;
  /** Where a new application id starts reading resource.probes (default: earliest). */
  startAt?: 'earliest' | 'latest';
}

export async function startFailureDetector(options: FailureDetectorAppOptions = {}): Promise<StreamsApp> {
  let app: StreamsApp | undefined;
  const topology = buildFailureDetectorTopology({
    ...options,
    onTransition: (transition, v) => {
      options.onTransition?.(transition, v);
      app?.logger.info(
        {
          transition,
          resourceId: v.resourceId,
          address: v.address,
          host: v.host,
          vantages: Object.fromEntries(
            Object.entries(v.vantages).map(([name, view]) => [
              name,
              { outcome: view.lastOutcome, failures: view.failures, silenceMs: silenceMs(view) },
            ]),
          ),
        },
        `target ${transition.toLowerCase()}`,
      );
    },
  });
  app = new StreamsApp(topology, {
    guarantee: options.guarantee ?? 'exactly-once',
    ...(options.connection === undefined ? {} : { connection: options.connection }),
    ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    ...(options.commitIntervalMs === undefined ? {} : { commitIntervalMs: options.commitIntervalMs }),
    ...(options.metricsPort === undefined ? {} : { metricsPort: options.metricsPort }),
    ...(options.startAt === undefined ? {} : { startAt: options.startAt }),
  });
  await app.start();
  return app;
}
