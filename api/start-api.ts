/**
 * Starts the API process: the read model fed from Kafka, the Kafka publisher, the HTTP server.
 * Returns a handle whose `stop` closes all three in reverse order.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { type KafkaConnection, loadConnection } from '../streams/runtime/config.js';
import { AlertView, alertsExtension, KafkaAlertPublisher, loadAlertSettings, startAlertFeed } from './alerts.js';
import { DashboardState, dashboardExtension, startDashboardFeed } from './dashboard/index.js';
import { type ApiSettings, loadApiSettings } from './options.js';
import { KafkaPublisher } from './publisher.js';
import { FleetReadModel } from './read-model.js';
import { startReadModelFeed } from './read-model-feed.js';
import { buildApiServer } from './server.js';

export interface RunningApi {
  app: FastifyInstance;
  url: string;
  model: FleetReadModel;
  stop(): Promise<void>;
}

export interface StartApiOptions {
  /** Connection settings; default from `env`. */
  connection?: KafkaConnection;
  /** Register the API's metrics here (a process-wide /metrics) instead of a registry of its own. */
  metricsRegistry?: Registry;
  /** Process metrics (CPU, memory, event loop) under foreshadow_api_; default true. */
  defaultMetrics?: boolean;
}

export async function startApi(
  env: NodeJS.ProcessEnv = process.env,
  settings: ApiSettings = loadApiSettings(env),
  options: StartApiOptions = {},
): Promise<RunningApi> {
  const conn = options.connection ?? loadConnection(env);
  const model = new FleetReadModel();
  const dashboard = new DashboardState();
  const publisher = new KafkaPublisher(conn, { format: settings.format });
  const alertSettings = loadAlertSettings(env);
  const alertPublisher = new KafkaAlertPublisher(conn, settings.format);
  const alertView = new AlertView();
  const app = await buildApiServer({
    readModel: model,
    publisher,
    tokens: settings.tokens,
    bodyLimit: settings.bodyLimit,
    rateLimit: settings.rateLimit,
    logger: true,
    defaultMetrics: options.defaultMetrics ?? true,
    ...(options.metricsRegistry ? { metricsRegistry: options.metricsRegistry } : {}),
    extensions: [
      dashboardExtension({ model, state: dashboard, banner: () => env.FORESHADOW_DASHBOARD_BANNER ?? '' }),
      alertsExtension({
        publisher: alertPublisher,
        view: alertView,
        settings: alertSettings,
        lookup: (resourceId) => model.deployment(resourceId),
      }),
    ],
  });
  const feed = await startReadModelFeed(model, conn, {
    format: settings.format,
    log: (msg, fields) => app.log.warn(fields, msg),
  });
  const dashboardFeed = await startDashboardFeed(
    conn,
    { format: settings.format, log: (msg, fields) => app.log.warn(fields, msg) },
    dashboard,
  );
  const alertFeed = await startAlertFeed(alertView, conn, {
    format: settings.format,
    log: (msg, fields) => app.log.warn(fields, msg),
  });
  const url = await app.listen({ host: settings.host, port: settings.port });
  return {
    app,
    url,
    model,
    async stop() {
      await app.close();
      await Promise.all([
        feed.stop(),
        dashboardFeed.stop(),
        alertFeed.stop(),
        publisher.close(),
        alertPublisher.close(),
      ]);
    },
  };
}
