/**
 * The operability endpoints every `foreshadow run` process serves (plain node:http, no auth: bind it
 * to a network only Prometheus and the orchestrator reach):
 *   GET /metrics  Prometheus text: every app's registry (streams runtime, actuators, API) merged,
 *                 plus the process's own (readiness per app, consumer-group lag, Node.js defaults);
 *   GET /healthz  200 while the process is alive and none of its apps stopped for good;
 *   GET /readyz   200 once every app is started, its tasks assigned and restored; 503 with the apps
 *                 that are not (JSON) otherwise.
 * Apps of one kind register the same metric names with a different `application` label, which
 * prom-client's Registry.merge refuses; AggregatorRegistry.aggregate joins them by label set.
 */
import { createServer, type Server } from 'node:http';
import { AggregatorRegistry, Registry } from 'prom-client';

export const OPERABILITY_PATHS = ['/metrics', '/healthz', '/readyz'] as const;

export interface OperabilitySource {
  /** Registries of the apps, read at every scrape (apps may start later). */
  appRegistries(): Registry[];
  /** The process's own registry (Node.js defaults, readiness, lag). */
  processRegistry: Registry;
  /** Each app's readiness. */
  readiness(): Record<string, boolean>;
  /** False once an app stopped on an error it cannot recover from. */
  healthy(): boolean;
}

export async function exposition(source: OperabilitySource): Promise<{ body: string; contentType: string }> {
  const apps = await Promise.all(source.appRegistries().map((r) => r.getMetricsAsJSON()));
  const merged = Registry.merge([AggregatorRegistry.aggregate(apps), source.processRegistry]);
  return { body: await merged.metrics(), contentType: merged.contentType };
}

export interface OperabilityServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startOperabilityServer(
  source: OperabilitySource,
  host: string,
  port: number,
): Promise<OperabilityServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/metrics') {
      exposition(source)
        .then(({ body, contentType }) => res.writeHead(200, { 'content-type': contentType }).end(body))
        .catch((err: unknown) => res.writeHead(500).end(String(err)));
    } else if (path === '/healthz') {
      const ok = source.healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ alive: ok }));
    } else if (path === '/readyz') {
      const apps = source.readiness();
      const ready = Object.values(apps).length > 0 && Object.values(apps).every(Boolean);
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready, apps }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Prometheus keeps its connection open between scrapes; close would wait for it.
        server.closeAllConnections();
      }),
  };
}
