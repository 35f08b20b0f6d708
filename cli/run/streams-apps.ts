/**
 * The stream processors as `foreshadow run` builds them from the configuration: each app's
 * topology (with its processor section of foreshadow.yaml), guarantee and commit interval, run as
 * a StreamsApp whose application id (= consumer group) is `foreshadow-<app><idSuffix>`. The shadow
 * manager is several apps (the fleet-wide decision app and its routers); its fleet topic is created
 * first. Failure risk is two (scoring and its fleet model's trainer) beside a global table of the
 * published model.
 */
import { join } from 'node:path';
import type { ModelFeed, PublishedModel } from '../../streams/processors/failure-risk/fleet-model.js';
import { GlobalTable } from '../../streams/runtime/global-table.js';
import { createKafka } from '../../streams/runtime/kafka-client.js';
import { jsonSerde } from '../../streams/runtime/serdes.js';
import { StreamsApp } from '../../streams/runtime/streams-app.js';
import type { Topology } from '../../streams/runtime/topology.js';
import { APP_GROUPS, type StreamsAppName } from './app-names.js';
import type { Guarantee, RunConfig } from './config-schema.js';
import type { AppContext, RunningApp } from './running-app.js';
import { lockStateDir } from './state-lock.js';

export interface AppTuning {
  guarantee: Guarantee;
  commitIntervalMs: number;
  /** Default: the runtime's (10 s). */
  sessionTimeoutMs?: number;
}

/**
 * Analytics are at-least-once: a replayed half second re-derives the same baselines and risk.
 * Decisions are exactly-once; the shadow manager commits after every batch (on the failover path
 * each hop would otherwise wait for the next commit tick).
 */
export const DEFAULT_TUNING: Readonly<Record<StreamsAppName, AppTuning>> = {
  'metric-ingest': { guarantee: 'at-least-once', commitIntervalMs: 500 },
  'host-baseline': { guarantee: 'at-least-once', commitIntervalMs: 500 },
  'failure-risk': { guarantee: 'at-least-once', commitIntervalMs: 500 },
  'capacity-fingerprint': { guarantee: 'at-least-once', commitIntervalMs: 500 },
  'dependency-map': { guarantee: 'at-least-once', commitIntervalMs: 500 },
  'shadow-region': { guarantee: 'at-least-once', commitIntervalMs: 500 },
  'region-health': { guarantee: 'at-least-once', commitIntervalMs: 500 },
  'shadow-manager': { guarantee: 'exactly-once', commitIntervalMs: 10 },
  'failover-orchestrator': { guarantee: 'exactly-once', commitIntervalMs: 100 },
};

/** The app's own `apps:` entry over its group's over the defaults. */
export function tuningOf(name: StreamsAppName, config: RunConfig): AppTuning {
  const group = (Object.keys(APP_GROUPS) as (keyof typeof APP_GROUPS)[]).find((g) =>
    (APP_GROUPS[g] as readonly string[]).includes(name),
  );
  const layers = [group ? config.apps[group] : undefined, config.apps[name]];
  const out = { ...DEFAULT_TUNING[name] };
  for (const l of layers) {
    if (l?.guarantee) out.guarantee = l.guarantee;
    if (l?.commitIntervalMs) out.commitIntervalMs = l.commitIntervalMs;
    if (l?.sessionTimeoutMs) out.sessionTimeoutMs = l.sessionTimeoutMs;
  }
  return out;
}

export function applicationId(name: StreamsAppName, config: RunConfig): string {
  return `foreshadow-${name}${config.idSuffix}`;
}

/** What an app's topologies read besides Kafka topics: failure risk's fleet model. */
export interface AppFeeds {
  /** The published fleet model (a GlobalTable on the model topic); default the prior. */
  riskModel?: ModelFeed;
}

/**
 * The topologies of an app (several for the shadow manager; failure risk's scoring and its fleet
 * model's trainer), from the configuration. Each processor's modules are loaded only when its app
 * runs: a `--apps host-health` process does not pay for the dependency mapper's or the API's
 * imports at start-up.
 */
export async function topologiesOf(name: StreamsAppName, c: RunConfig, feeds: AppFeeds = {}): Promise<Topology[]> {
  const applicationId = `foreshadow-${name}${c.idSuffix}`;
  switch (name) {
    case 'metric-ingest': {
      const { buildMetricIngestTopology } = await import('../../streams/processors/metric-ingest/topology.js');
      return [buildMetricIngestTopology({ applicationId, ...(c.ingest ? { processor: c.ingest } : {}) })];
    }
    case 'host-baseline': {
      const { buildHostBaselineTopology } = await import('../../streams/processors/host-baseline/topology.js');
      return [buildHostBaselineTopology({ applicationId, ...(c.baseline ? { processor: c.baseline } : {}) })];
    }
    case 'failure-risk': {
      // Scoring (every instance) and the fleet model's trainer (one task: its source has one
      // partition, so however many processes run it, one trains), as startFailureRisk runs them.
      const { buildFailureRiskTopology } = await import('../../streams/processors/failure-risk/topology.js');
      const { buildRiskTrainerTopology } = await import('../../streams/processors/failure-risk/fleet-model.js');
      return [
        buildFailureRiskTopology({
          applicationId,
          ...(c.risk ? { processor: c.risk } : {}),
          ...(feeds.riskModel ? { modelFeed: feeds.riskModel } : {}),
        }),
        buildRiskTrainerTopology({ applicationId }),
      ];
    }
    case 'capacity-fingerprint': {
      const { capacityTopology } = await import('../../streams/processors/capacity-fingerprint/topology.js');
      return [capacityTopology({ applicationId, ...c.capacity })];
    }
    case 'dependency-map': {
      const { dependencyMapTopology } = await import('../../streams/processors/dependency-map/topology.js');
      return [dependencyMapTopology({ applicationId, ...c.dependencies })];
    }
    case 'shadow-region': {
      const { shadowRegionTopology } = await import('../../streams/processors/shadow-region/topology.js');
      return [shadowRegionTopology({ applicationId, ...c.blueprints })];
    }
    case 'region-health': {
      const { regionHealthTopology } = await import('../../streams/processors/region-health/topology.js');
      return [regionHealthTopology({ applicationId, ...c.regionHealth })];
    }
    case 'shadow-manager': {
      const m = await import('../../streams/processors/shadow-manager/topology.js');
      const o = { applicationId, ...(c.shadows ? { manager: c.shadows } : {}) };
      return [m.buildShadowManagerTopology(o), ...m.buildShadowRouterTopologies(o)];
    }
    case 'failover-orchestrator': {
      const m = await import('../../streams/processors/failover-orchestrator/topology.js');
      return [
        m.buildFailoverOrchestratorTopology({ applicationId, ...(c.failover ? { orchestrator: c.failover } : {}) }),
      ];
    }
  }
}

/**
 * Failure risk's fleet model as this process reads it: the model topics made sure of, then the
 * model's global table caught up, so the first samples are scored with the latest published model.
 */
async function startRiskModel(ctx: AppContext, appId: string): Promise<{ feed: ModelFeed; close(): Promise<void> }> {
  const { ensureFleetModelTopics, modelTopic, tableModelFeed } = await import(
    '../../streams/processors/failure-risk/fleet-model.js'
  );
  const admin = createKafka(ctx.conn, `${ctx.conn.clientId}-failure-risk-setup`).admin();
  await admin.connect();
  try {
    await ensureFleetModelTopics(admin, appId);
  } finally {
    await admin.disconnect();
  }
  const table = new GlobalTable<PublishedModel>({
    topic: modelTopic(appId),
    valueSerde: jsonSerde<PublishedModel>(),
    connection: ctx.conn,
    clientId: `${appId}-model-reader`,
  });
  await table.start();
  return { feed: tableModelFeed(table), close: () => table.close() };
}

export async function startStreamsApp(name: StreamsAppName, ctx: AppContext): Promise<RunningApp> {
  const config = ctx.loaded.config;
  const tuning = tuningOf(name, config);
  const stateDir = join(ctx.conn.stateDir, name);
  const lock = lockStateDir(stateDir, name);
  const model = name === 'failure-risk' ? await startRiskModel(ctx, applicationId(name, config)) : undefined;
  const topologies = await topologiesOf(name, config, model ? { riskModel: model.feed } : {});
  if (name === 'shadow-manager') {
    const { ensureFleetTopic, fleetTopic } = await import('../../streams/processors/shadow-manager/topology.js');
    const admin = createKafka(ctx.conn, `${ctx.conn.clientId}-${name}-setup`).admin();
    await admin.connect();
    try {
      await ensureFleetTopic(admin, fleetTopic(applicationId(name, config)));
    } finally {
      await admin.disconnect();
    }
  }
  const apps = topologies.map(
    (t) =>
      new StreamsApp(t, {
        guarantee: tuning.guarantee,
        connection: ctx.conn,
        stateDir,
        commitIntervalMs: tuning.commitIntervalMs,
        ...(tuning.sessionTimeoutMs ? { sessionTimeoutMs: tuning.sessionTimeoutMs } : {}),
        startAt: config.startAt,
        onFatal: (err) => ctx.onFatal(name, err),
      }),
  );
  const started: StreamsApp[] = [];
  // The apps of one name are independent consumer groups: started together, not one by one.
  const results = await Promise.allSettled(apps.map((a) => a.start().then(() => started.push(a))));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const close = async (): Promise<void> => {
    await Promise.all(started.map((a) => a.close()));
    await model?.close();
    lock.release();
  };
  if (failed) {
    await close().catch(() => undefined);
    throw failed.reason;
  }
  return {
    name,
    ready: () => apps.every((a) => a.isReady()),
    registries: () => apps.map((a) => a.metrics.registry),
    groups: topologies.map((t) => ({ groupId: t.applicationId, topics: t.sourceTopics() })),
    close,
  };
}
