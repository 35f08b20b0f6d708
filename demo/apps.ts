/**
 * Every process of the pipeline the demo runs, by name: the processors (each a StreamsApp on its
 * topology), the actuators (Redis on every demo host, HAProxy, simulated for the rest) and the API.
 * One table so the supervisor, the child-process entry point and the drills agree on what exists.
 * Options that differ from production defaults are here with the reason (a demo fleet reports every
 * second instead of every few seconds, and must show a whole shadow lifecycle within minutes).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApi } from '../api/start-api.js';
import { registryCodec } from '../sinks/framework/codec.js';
import { ActuatorConsumer } from '../sinks/framework/consumer.js';
import { KafkaLedger } from '../sinks/framework/ledger.js';
import type { RetryPolicyInput } from '../sinks/framework/retry.js';
import type { ActuatorProvider } from '../sinks/framework/types.js';
import { HaproxyProvider } from '../sinks/haproxy/haproxy-provider.js';
import { RedisProvider } from '../sinks/redis/redis-provider.js';
import { SimulatedProvider } from '../sinks/simulated/simulated-provider.js';
import { CAPACITY_APPLICATION_ID } from '../streams/processors/capacity-fingerprint/names.js';
import { capacityTopology } from '../streams/processors/capacity-fingerprint/topology.js';
import { dependencyMapTopology } from '../streams/processors/dependency-map/topology.js';
import { startFailoverOrchestrator } from '../streams/processors/failover-orchestrator/app.js';
import { buildFailoverOrchestratorTopology } from '../streams/processors/failover-orchestrator/topology.js';
import { startFailureRisk } from '../streams/processors/failure-risk/app.js';
import { buildFailureRiskTopology } from '../streams/processors/failure-risk/topology.js';
import { buildHostBaselineTopology } from '../streams/processors/host-baseline/topology.js';
import { buildMetricIngestTopology } from '../streams/processors/metric-ingest/topology.js';
import { regionHealthTopology } from '../streams/processors/region-health/topology.js';
import { startShadowManager } from '../streams/processors/shadow-manager/app.js';
import type { ShadowManagerOptions } from '../streams/processors/shadow-manager/options.js';
import {
  buildShadowManagerTopology,
  buildShadowRouterTopologies,
} from '../streams/processors/shadow-manager/topology.js';
import { shadowRegionTopology } from '../streams/processors/shadow-region/topology.js';
import type { KafkaConnection } from '../streams/runtime/config.js';
import { describeError } from '../streams/runtime/errors.js';
import { createKafka } from '../streams/runtime/kafka-client.js';
import { type Guarantee, StreamsApp } from '../streams/runtime/streams-app.js';
import type { Topology } from '../streams/runtime/topology.js';
import { startAtPresentIfNew } from './offsets.js';
import { ShadowPortAssigner } from './redis-agent.js';

export const APP_NAMES = [
  'metric-ingest',
  'host-baseline',
  'failure-risk',
  'capacity-fingerprint',
  'dependency-map',
  'shadow-region',
  'region-health',
  'shadow-manager',
  'failover-orchestrator',
  'actuator-redis',
  'actuator-haproxy',
  'actuator-simulated',
  'api',
] as const;
export type AppName = (typeof APP_NAMES)[number];

export function isAppName(s: string): s is AppName {
  return (APP_NAMES as readonly string[]).includes(s);
}

/** Written by the demo (or a drill) to a JSON file whose path is in FORESHADOW_DEMO_CONFIG. */
export interface DemoRuntimeConfig {
  /** Demo hosts the Redis actuator may start shadows on, each with its data directory. */
  redisHosts: Record<string, { bindAddress: string; dataRoot: string }>;
  haproxySocket: string;
  /** resourceId → HAProxy backend, for commands without `haproxy.backend`. */
  haproxyBackends: Record<string, string>;
  stateDir: string;
  /** Suffix of every consumer group and application id (lets a drill run beside the demo). */
  idSuffix: string;
  shadowManager: Partial<ShadowManagerOptions>;
  /** Resource kinds the simulated actuator plays (everything but the real Redis). */
  simulatedKinds: string[];
}

export function readRuntimeConfig(env: NodeJS.ProcessEnv = process.env): DemoRuntimeConfig {
  const file = env.FORESHADOW_DEMO_CONFIG;
  if (!file) throw new Error('FORESHADOW_DEMO_CONFIG (path of the demo runtime config) is not set');
  return JSON.parse(readFileSync(file, 'utf8')) as DemoRuntimeConfig;
}

export interface RunningApp {
  name: AppName;
  close(): Promise<void>;
}

/**
 * Demo tuning of the shadow manager: shadows and retries in seconds, not minutes. Heartbeat loss is
 * deliberately slow (5 min): on a loaded laptop the risk pipeline can lag behind the history burst
 * by tens of seconds, and a lagging pipeline must not look like a dead fleet. The demo's failures
 * are detected by their host.failures records, as a monitoring system would report them.
 */
export const DEMO_SHADOW_MANAGER: Partial<ShadowManagerOptions> = {
  // A notch below the production 0.6/0.3: the demo's faults develop in minutes, not hours.
  enterThreshold: 0.5,
  exitThreshold: 0.25,
  heartbeatIntervalMs: 60_000,
  heartbeatMissedIntervals: 5,
  syncPollMs: 2_000,
  tickMs: 250,
  idleTtlMs: 180_000,
  createsPerMinute: 120,
  createBurst: 20,
  failoverStepTimeoutMs: 15_000,
  backoffBaseMs: 500,
};

/**
 * What an app that stopped for good does (StreamsAppOptions.onFatal). run-app.ts sets it so the
 * whole child exits non-zero and its supervisor sees it; by default the error is only logged.
 */
let onAppFatal: (name: AppName, err: unknown) => void = (name, err) =>
  console.error(`${name} stopped on an error it cannot recover from: ${describeError(err)}`);

export function setAppFatalHandler(handler: (name: AppName, err: unknown) => void): void {
  onAppFatal = handler;
}

async function streams(
  name: AppName,
  topology: Topology,
  conn: KafkaConnection,
  cfg: DemoRuntimeConfig,
  guarantee: Guarantee,
): Promise<RunningApp> {
  await startAtPresentIfNew(conn, topology.applicationId, topology.sourceTopics());
  const app = new StreamsApp(topology, {
    guarantee,
    connection: conn,
    stateDir: join(cfg.stateDir, name),
    // The analytics tolerate a replayed half second; 500 ms keeps hops short without a commit storm.
    commitIntervalMs: guarantee === 'exactly-once' ? 100 : 500,
    onFatal: (err) => onAppFatal(name, err),
  });
  await app.start();
  return { name, close: () => app.close() };
}

async function actuator(
  name: AppName,
  provider: ActuatorProvider,
  conn: KafkaConnection,
  cfg: DemoRuntimeConfig,
  retry?: RetryPolicyInput,
): Promise<RunningApp> {
  const kafka = createKafka(conn, `${conn.clientId}-${name}`);
  let ledger = new KafkaLedger(kafka, {});
  for (let attempt = 1; ; attempt++) {
    try {
      await ledger.open();
      break;
    } catch (err: unknown) {
      // Right after the ledger topic is created its metadata can lag ("does not host this
      // topic-partition"); a fresh ledger a moment later sees it.
      await ledger.close().catch(() => undefined);
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 1_000 * attempt));
      ledger = new KafkaLedger(kafka, {});
    }
  }
  const consumer = new ActuatorConsumer({
    kafka,
    provider,
    codec: registryCodec(conn.registryUrl),
    ledger,
    groupId: `foreshadow-${name}${cfg.idSuffix}`,
    ...(retry ? { retry } : {}),
  });
  await consumer.start();
  return {
    name,
    close: async () => {
      await consumer.stop();
      await ledger.close();
      await provider.close?.();
    },
  };
}

export async function startApp(name: AppName, conn: KafkaConnection, cfg: DemoRuntimeConfig): Promise<RunningApp> {
  const id = (base: string) => `${base}${cfg.idSuffix}`;
  switch (name) {
    case 'metric-ingest':
      return streams(
        name,
        buildMetricIngestTopology({ applicationId: id('foreshadow-metric-ingest') }),
        conn,
        cfg,
        'at-least-once',
      );
    case 'host-baseline':
      return streams(
        name,
        buildHostBaselineTopology({ applicationId: id('foreshadow-host-baseline') }),
        conn,
        cfg,
        'at-least-once',
      );
    case 'failure-risk': {
      // The scoring app, its fleet model's trainer and the model's reader (failure-risk/app.ts).
      const applicationId = id('foreshadow-failure-risk');
      const t = buildFailureRiskTopology({ applicationId });
      await startAtPresentIfNew(conn, t.applicationId, t.sourceTopics());
      const running = await startFailureRisk({
        applicationId,
        connection: conn,
        guarantee: 'at-least-once',
        stateDir: join(cfg.stateDir, name),
        streams: { commitIntervalMs: 500, onFatal: (err) => onAppFatal(name, err) },
      });
      return { name, close: () => running.close() };
    }
    case 'capacity-fingerprint':
      return streams(
        name,
        capacityTopology({
          applicationId: id(CAPACITY_APPLICATION_ID),
          // The demo fleet reports canonical host metrics (metric-ingest output), not the defaults.
          metricNames: {
            cpu: 'cpu.utilization',
            memory: 'mem.utilization',
            latency: 'http.latency_p99_ms',
            connections: 'net.connections',
            netIo: 'net.rx_bytes_per_sec',
            diskIo: 'diskio.utilization',
          },
          emitIntervalMs: 10_000,
          checkIntervalMs: 5_000,
        }),
        conn,
        cfg,
        'at-least-once',
      );
    case 'dependency-map':
      return streams(
        name,
        dependencyMapTopology({ applicationId: id('foreshadow-dependency-map') }),
        conn,
        cfg,
        'at-least-once',
      );
    case 'shadow-region':
      return streams(
        name,
        shadowRegionTopology({ applicationId: id('foreshadow-shadow-region') }),
        conn,
        cfg,
        'at-least-once',
      );
    case 'region-health':
      return streams(
        name,
        regionHealthTopology({ applicationId: id('foreshadow-region-health') }),
        conn,
        cfg,
        'at-least-once',
      );
    case 'shadow-manager': {
      const topologyOptions = { applicationId: id('foreshadow-shadow-manager'), manager: cfg.shadowManager };
      for (const t of [buildShadowManagerTopology(topologyOptions), ...buildShadowRouterTopologies(topologyOptions)])
        await startAtPresentIfNew(conn, t.applicationId, t.sourceTopics());
      const running = await startShadowManager({
        applicationId: id('foreshadow-shadow-manager'),
        connection: conn,
        stateDir: join(cfg.stateDir, name),
        manager: cfg.shadowManager,
        // Commit (end the transaction) after every batch instead of on the next tick: on the
        // failover path each hop would otherwise wait up to a tick (250 ms) for its commit.
        commitIntervalMs: 10,
      });
      return { name, close: () => running.close() };
    }
    case 'failover-orchestrator': {
      const t = buildFailoverOrchestratorTopology({ applicationId: id('foreshadow-failover-orchestrator') });
      await startAtPresentIfNew(conn, t.applicationId, t.sourceTopics());
      const app = await startFailoverOrchestrator({
        applicationId: id('foreshadow-failover-orchestrator'),
        connection: conn,
        stateDir: join(cfg.stateDir, name),
      });
      return { name, close: () => app.close() };
    }
    case 'actuator-redis':
      return actuator(
        name,
        new ShadowPortAssigner(
          new RedisProvider({ hosts: cfg.redisHosts, pollIntervalMs: 100, syncTimeoutMs: 20_000 }),
          cfg.redisHosts,
        ),
        conn,
        cfg,
        // Commands of one resource run in order: a FENCE of a primary that just died (connection
        // refused) must fail fast, or the PROMOTE queued behind it waits out the default backoff
        // (~2.4 s). The shadow manager retries failed steps itself, with its own backoff.
        { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 200 },
      );
    case 'actuator-haproxy':
      return actuator(
        name,
        new HaproxyProvider({ runtimeApi: cfg.haproxySocket, backends: cfg.haproxyBackends }),
        conn,
        cfg,
      );
    case 'actuator-simulated':
      return actuator(
        name,
        new SimulatedProvider({
          kinds: cfg.simulatedKinds,
          defaults: { delayMs: { type: 'uniform', min: 100, max: 600 } },
          lagBytes: { type: 'uniform', min: 0, max: 4096 },
          instanceLaunchMs: { type: 'lognormal', median: 8_000, sigma: 0.4 },
        }),
        conn,
        cfg,
      );
    case 'api': {
      const api = await startApi();
      return { name, close: () => api.stop() };
    }
  }
}
