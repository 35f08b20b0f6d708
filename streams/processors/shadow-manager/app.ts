/**
 * Runs the shadow manager on Kafka: makes sure the fleet topic exists, then starts the decision app
 * and its routers (each a StreamsApp with its own consumer group). `close` stops routers first so
 * nothing is routed to a manager that is already gone.
 */
import { type KafkaConnection, loadConnection } from '../../runtime/config.js';
import { createKafka } from '../../runtime/kafka-client.js';
import { type Guarantee, StreamsApp } from '../../runtime/streams-app.js';
import { SHADOW_MANAGER_APPLICATION_ID } from './names.js';
import {
  buildShadowManagerTopology,
  buildShadowRouterTopologies,
  ensureFleetTopic,
  fleetTopic,
  type ShadowManagerTopologyOptions,
} from './topology.js';

export interface ShadowManagerAppOptions extends ShadowManagerTopologyOptions {
  connection?: KafkaConnection;
  guarantee?: Guarantee;
  stateDir?: string;
  commitIntervalMs?: number;
}

export interface RunningApps {
  apps: StreamsApp[];
  close(): Promise<void>;
}

export async function startShadowManager(options: ShadowManagerAppOptions = {}): Promise<RunningApps> {
  const connection = options.connection ?? loadConnection();
  const appId = options.applicationId ?? SHADOW_MANAGER_APPLICATION_ID;
  const admin = createKafka(connection, `${appId}-setup`).admin();
  await admin.connect();
  try {
    await ensureFleetTopic(admin, fleetTopic(appId));
  } finally {
    await admin.disconnect();
  }
  const common = {
    guarantee: options.guarantee ?? ('exactly-once' as const),
    connection,
    ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    ...(options.commitIntervalMs === undefined ? {} : { commitIntervalMs: options.commitIntervalMs }),
  };
  const manager = new StreamsApp(buildShadowManagerTopology(options), common);
  const routers = buildShadowRouterTopologies(options).map((t) => new StreamsApp(t, common));
  const started: StreamsApp[] = [];
  const close = async (): Promise<void> => {
    for (const app of [...started].reverse()) await app.close();
  };
  try {
    for (const app of [manager, ...routers]) {
      await app.start();
      started.push(app);
    }
  } catch (err: unknown) {
    await close();
    throw err;
  }
  return { apps: started, close };
}
