/**
 * Runs a set of apps in this process, as `foreshadow run` does:
 *   1. a bounded look at the cluster (one line within seconds if the broker or registry is not
 *      reachable);
 *   2. the topic catalogue, when the configuration asks for it (idempotent; the schemas are
 *      registered while the apps start);
 *   3. the operability server (/metrics, /healthz, /readyz), so an orchestrator sees the process
 *      from the start;
 *   4. every app at once (each is its own consumer group), each reported ready once its tasks are
 *      assigned and restored;
 *   5. consumer-group lag read from the cluster for /metrics.
 * `stop()` drains: every app commits, leaves its groups and closes its stores, then the server
 * closes. An app that stops for good on an unrecoverable error stops the whole process with code 1,
 * so its supervisor (systemd, Kubernetes, the demo) restarts it rather than leaving it half alive.
 */
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { SchemaCatalogue } from '../../schemas/registry.js';
import { DEAD_LETTER_TOPICS, TOPICS } from '../../streams/catalogue.js';
import type { KafkaConnection } from '../../streams/runtime/config.js';
import { describeError } from '../../streams/runtime/errors.js';
import { createKafka } from '../../streams/runtime/kafka-client.js';
import { createLogger, type Logger } from '../../streams/runtime/logger.js';
import { ensureTopics, retryWhileInFlux } from '../../streams/runtime/topic-admin.js';
import { checkCluster } from '../cluster-check.js';
import type { AppName } from './app-names.js';
import { startApp } from './app-registry.js';
import { connectionFor, type LoadedRunConfig } from './config-loader.js';
import { ConsumerLagPoller } from './consumer-lag.js';
import { type OperabilityServer, startOperabilityServer } from './operability-server.js';
import type { RunningApp } from './running-app.js';

export type RunEvent =
  | { type: 'starting'; app: string }
  | { type: 'ready'; app: string; ms: number }
  | { type: 'failed'; app: string; error: string }
  | { type: 'listening'; url: string }
  | { type: 'stopped'; code: number };

export interface RunnerOptions {
  loaded: LoadedRunConfig;
  apps: readonly AppName[];
  env?: NodeJS.ProcessEnv;
  /** Overrides `operability.port` (0: a free port, reported in the `listening` event). */
  operabilityPort?: number;
  onEvent?: (e: RunEvent) => void;
  logger?: Logger;
}

export class Runner {
  private readonly env: NodeJS.ProcessEnv;
  private readonly log: Logger;
  private readonly running = new Map<AppName, RunningApp>();
  private readonly processRegistry = new Registry();
  private server: OperabilityServer | undefined;
  private lag: ConsumerLagPoller | undefined;
  private lagAdmin: ReturnType<ReturnType<typeof createKafka>['admin']> | undefined;
  private stopping: Promise<number> | undefined;
  private fatal = false;
  private resolveDone: (code: number) => void = () => {};
  /** The exit code once stopped: 0 after a drain, 1 after an app failed. */
  readonly done = new Promise<number>((resolve) => {
    this.resolveDone = resolve;
  });
  conn: KafkaConnection | undefined;

  constructor(private readonly o: RunnerOptions) {
    this.env = o.env ?? process.env;
    this.log = o.logger ?? createLogger('foreshadow-run');
  }

  private emit(e: RunEvent): void {
    this.o.onEvent?.(e);
  }

  readiness(): Record<string, boolean> {
    return Object.fromEntries(this.o.apps.map((a) => [a, this.running.get(a)?.ready() ?? false]));
  }

  operabilityUrl(): string | undefined {
    return this.server?.url;
  }

  async start(): Promise<void> {
    const { loaded } = this.o;
    const config = loaded.config;
    const conn = connectionFor(config, this.env);
    this.conn = conn;
    const t0 = Date.now();
    // Since the process started: node, tsx and the imports.
    const bootMs = Math.round(performance.now());
    await checkCluster(conn, {
      timeoutMs: 10_000,
      hint: `check cluster.brokers / schemaRegistryUrl in ${loaded.file} or KAFKA_BROKERS / SCHEMA_REGISTRY_URL`,
    });
    const checked = Date.now();
    if (config.ensureCatalogue) await this.ensureCatalogueTopics(conn);
    const catalogued = Date.now();
    // Apps need their source topics to exist, not the schemas (they look them up on first use):
    // registration runs beside the apps' start (~0.3 s of registry round trips off the ready time).
    const schemas = config.ensureCatalogue
      ? new SchemaCatalogue(conn.registryUrl).registerCatalogue().then(() => undefined)
      : Promise.resolve();
    schemas.catch(() => undefined);
    this.registerProcessMetrics();
    this.server = await startOperabilityServer(
      {
        appRegistries: () => [...this.running.values()].flatMap((a) => a.registries()),
        processRegistry: this.processRegistry,
        readiness: () => this.readiness(),
        healthy: () => !this.fatal,
      },
      config.operability.host,
      this.o.operabilityPort ?? config.operability.port,
    );
    this.emit({ type: 'listening', url: this.server.url });
    // Where start-up time goes (README, bench/startup): process boot is before t0.
    this.log.info(
      {
        url: this.server.url,
        apps: this.o.apps,
        bootMs,
        clusterCheckMs: checked - t0,
        catalogueMs: catalogued - checked,
      },
      'operability server listening',
    );

    const ctx = {
      loaded,
      conn,
      env: this.env,
      onFatal: (app: AppName, err: unknown) => {
        this.fatal = true;
        this.emit({ type: 'failed', app, error: describeError(err) });
        this.log.error({ app, error: describeError(err) }, 'app stopped for good; stopping the process');
        void this.stop(1);
      },
    };
    const results = await Promise.allSettled(
      this.o.apps.map(async (name) => {
        const t0 = Date.now();
        this.emit({ type: 'starting', app: name });
        try {
          const app = await startApp(name, ctx);
          this.running.set(name, app);
          void this.announceReady(app, t0);
        } catch (err: unknown) {
          this.emit({ type: 'failed', app: name, error: describeError(err) });
          throw err;
        }
      }),
    );
    const registered = await schemas.then(
      () => undefined,
      (err: unknown) => err,
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed || registered !== undefined) {
      this.fatal = true;
      await this.stop(1);
      throw failed ? failed.reason : registered;
    }
    this.lagAdmin = createKafka(conn, `${conn.clientId}-lag`).admin();
    await this.lagAdmin.connect();
    this.lag = new ConsumerLagPoller(this.lagAdmin, this.processRegistry, this.log, config.operability.lagIntervalMs);
    this.lag.watch([...this.running.values()].flatMap((a) => a.groups));
    this.lag.start();
  }

  /** Reports an app ready once its tasks are assigned and restored (polled; cheap). */
  private async announceReady(app: RunningApp, t0: number): Promise<void> {
    while (!app.ready()) {
      if (this.stopping) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    const ms = Date.now() - t0;
    this.emit({ type: 'ready', app: app.name, ms });
    this.log.info({ app: app.name, ms }, 'app ready');
  }

  private async ensureCatalogueTopics(conn: KafkaConnection): Promise<void> {
    const admin = createKafka(conn, `${conn.clientId}-catalogue`).admin();
    await admin.connect();
    try {
      // Other processes of the deployment may be creating the same topics right now.
      await retryWhileInFlux(async () => {
        try {
          await ensureTopics(admin, [...TOPICS, ...DEAD_LETTER_TOPICS]);
        } catch (err: unknown) {
          if ((err as { type?: unknown }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
          await ensureTopics(admin, [...TOPICS, ...DEAD_LETTER_TOPICS]);
        }
      });
    } finally {
      await admin.disconnect();
    }
  }

  private registerProcessMetrics(): void {
    const registers = [this.processRegistry];
    collectDefaultMetrics({ register: this.processRegistry });
    const readiness = () => this.readiness();
    new Gauge({
      name: 'foreshadow_app_ready',
      help: '1 when the app is started and its tasks are assigned and restored (as /readyz)',
      labelNames: ['app'],
      registers,
      collect() {
        for (const [app, ready] of Object.entries(readiness())) this.set({ app }, ready ? 1 : 0);
      },
    });
  }

  /** Drains every app (commit, leave the group, close), then the server. Idempotent. */
  stop(code = 0): Promise<number> {
    this.stopping ??= this.doStop(code);
    return this.stopping;
  }

  private async doStop(code: number): Promise<number> {
    await this.lag?.stop().catch(() => undefined);
    // Apps are independent consumers: closing them together takes as long as the slowest one.
    await Promise.all(
      [...this.running.values()].map((app) =>
        app.close().catch((err: unknown) => {
          this.log.error({ app: app.name, error: describeError(err) }, 'close failed');
        }),
      ),
    );
    await this.lagAdmin?.disconnect().catch(() => undefined);
    await this.server?.close();
    const exit = this.fatal ? 1 : code;
    this.emit({ type: 'stopped', code: exit });
    if (this.server) this.log.info({ code: exit }, 'stopped');
    this.resolveDone(exit);
    return exit;
  }
}
