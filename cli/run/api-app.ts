/**
 * The HTTP API and dashboard as `foreshadow run` starts it: settings from the file's `api` section
 * (API_* variables win), the process's connection, and its metrics on the process's /metrics
 * (Node.js process metrics are the process's, not the API's, there).
 */
import { Registry } from 'prom-client';
import { startApi } from '../../api/start-api.js';
import { apiSettingsFor } from './config-loader.js';
import type { AppContext, RunningApp } from './running-app.js';

export async function startApiApp(ctx: AppContext): Promise<RunningApp> {
  const registry = new Registry();
  const api = await startApi(ctx.env, apiSettingsFor(ctx.loaded.config, ctx.env), {
    connection: ctx.conn,
    metricsRegistry: registry,
    defaultMetrics: false,
  });
  let open = true;
  return {
    name: 'api',
    ready: () => open,
    registries: () => [registry],
    groups: [],
    close: async () => {
      open = false;
      await api.stop();
    },
  };
}
