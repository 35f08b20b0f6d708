/**
 * Runs failure risk on Kafka with its fleet model (fleet-model.ts): makes sure the examples and
 * model topics exist, starts the model's global table (so the first samples are already scored
 * with the latest published model), the trainer app, then the scoring app. `close` stops them in
 * reverse order. Every instance of the scoring app runs its own table; the trainer app has one
 * task (its source has one partition), so however many instances run it, one trains.
 */
import { type KafkaConnection, loadConnection } from '../../runtime/config.js';
import { GlobalTable } from '../../runtime/global-table.js';
import { createKafka } from '../../runtime/kafka-client.js';
import { jsonSerde } from '../../runtime/serdes.js';
import { type Guarantee, StreamsApp, type StreamsAppOptions } from '../../runtime/streams-app.js';
import {
  buildRiskTrainerTopology,
  ensureFleetModelTopics,
  modelTopic,
  type PublishedModel,
  type TrainerOptions,
  tableModelFeed,
} from './fleet-model.js';
import { FAILURE_RISK_APPLICATION_ID } from './names.js';
import { buildFailureRiskTopology, type FailureRiskTopologyOptions } from './topology.js';

export interface FailureRiskAppOptions extends Omit<FailureRiskTopologyOptions, 'modelFeed'> {
  connection?: KafkaConnection;
  guarantee?: Guarantee;
  /** State directory of both apps (each keeps its state under its own application id). */
  stateDir?: string;
  trainer?: Partial<TrainerOptions>;
  /** Further StreamsApp options for both apps (commit interval, fatal handler, ...). */
  streams?: Omit<StreamsAppOptions, 'guarantee' | 'connection' | 'stateDir'>;
}

export interface RunningFailureRisk {
  scoring: StreamsApp;
  trainer: StreamsApp;
  /** The fleet model as this instance sees it. */
  model: GlobalTable<PublishedModel>;
  close(): Promise<void>;
}

export async function startFailureRisk(options: FailureRiskAppOptions = {}): Promise<RunningFailureRisk> {
  const connection = options.connection ?? loadConnection();
  const appId = options.applicationId ?? FAILURE_RISK_APPLICATION_ID;
  const admin = createKafka(connection, `${appId}-setup`).admin();
  await admin.connect();
  try {
    await ensureFleetModelTopics(admin, appId);
  } finally {
    await admin.disconnect();
  }
  const common: StreamsAppOptions = {
    ...options.streams,
    guarantee: options.guarantee ?? 'exactly-once',
    connection,
    ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
  };
  const model = new GlobalTable<PublishedModel>({
    topic: modelTopic(appId),
    valueSerde: jsonSerde<PublishedModel>(),
    connection,
    clientId: `${appId}-model-reader`,
  });
  const trainer = new StreamsApp(
    buildRiskTrainerTopology({
      applicationId: appId,
      ...(options.examplesTopic === undefined ? {} : { examplesTopic: options.examplesTopic }),
      ...(options.trainer === undefined ? {} : { trainer: options.trainer }),
    }),
    common,
  );
  const scoring = new StreamsApp(buildFailureRiskTopology({ ...options, modelFeed: tableModelFeed(model) }), common);
  const started: Array<{ close(): Promise<void> }> = [];
  const close = async (): Promise<void> => {
    for (const part of [...started].reverse()) await part.close();
  };
  try {
    for (const part of [model, trainer, scoring]) {
      await part.start();
      started.push(part);
    }
  } catch (err: unknown) {
    await close();
    throw err;
  }
  return { scoring, trainer, model, close };
}
