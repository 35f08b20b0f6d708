/**
 * Runs one prober process (one vantage point): the target table fed from the deployments and
 * shadow.state topics, a Redis probe (PING + ROLE) for the Redis kinds and a TCP connect probe for
 * the kinds listed in `tcpKinds`, observations published on resource.probes. Used by
 * `foreshadow detect probe` and the failover drill.
 */
import { pino } from 'pino';
import { z } from 'zod';
import { startTopicTableFeed, type TopicTableFeed } from '../api/topic-table-feed.js';
import type { Deployment } from '../schemas/records/deployment.js';
import type { ShadowState } from '../schemas/records/shadow-state.js';
import { DEPLOYMENTS_TOPIC, PROBES_TOPIC, SHADOW_STATE_TOPIC } from '../streams/catalogue.js';
import { type KafkaConnection, loadConnection } from '../streams/runtime/config.js';
import { ConfigError } from '../streams/runtime/errors.js';
import { KafkaObservationSink } from './framework/probe-publisher.js';
import { ProbeTargetTable } from './framework/probe-targets.js';
import type { Probe } from './framework/probe-types.js';
import { type ObservationSink, proberOptionsSchema, ResourceProber } from './framework/prober.js';
import { TcpConnectProbe } from './framework/tcp-probe.js';
import { RedisRoleProbe } from './redis/redis-probe.js';

export const runProberOptionsSchema = proberOptionsSchema.extend({
  /** Kinds probed with PING + ROLE. */
  redisKinds: z.array(z.string().min(1)).default(['redis']),
  /** Kinds probed with a TCP connect (none by default: only what is listed is probed). */
  tcpKinds: z.array(z.string().min(1)).default([]),
  /** Probe only the resources whose deployment config has this `probe.group`. */
  group: z.string().min(1).optional(),
  /** Environment variable with the Redis password. */
  passwordEnv: z.string().min(1).optional(),
  topics: z
    .object({ probes: z.string().min(1), deployments: z.string().min(1), shadowState: z.string().min(1) })
    .partial()
    .default({}),
  format: z.enum(['avro', 'json']).default('avro'),
});
export type RunProberOptions = z.input<typeof runProberOptionsSchema>;

export interface RunningProber {
  prober: ResourceProber;
  /** Resolves once the target feed has joined and is fetching. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export async function runProber(
  input: RunProberOptions,
  connection: KafkaConnection = loadConnection(),
  sink?: ObservationSink,
): Promise<RunningProber> {
  const parsed = runProberOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new ConfigError(`invalid prober options: ${problems.join('; ')}`, { problems });
  }
  const o = parsed.data;
  const log = pino({ name: 'prober', level: process.env.LOG_LEVEL ?? 'info', base: { vantage: o.vantage } });
  const redis = new RedisRoleProbe(o.passwordEnv ? { passwordEnv: o.passwordEnv } : {});
  const tcp = new TcpConnectProbe();
  const probeFor = (kind: string): Probe | undefined =>
    o.redisKinds.includes(kind) ? redis : o.tcpKinds.includes(kind) ? tcp : undefined;
  const prober = new ResourceProber(
    o,
    probeFor,
    sink ?? new KafkaObservationSink(connection, o.topics.probes ?? PROBES_TOPIC, o.format),
    log,
  );
  const table = new ProbeTargetTable(
    {
      intervalMs: prober.options.intervalMs,
      downAfterMs: prober.options.downAfterMs,
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.group ? { group: o.group } : {}),
    },
    (kind) => probeFor(kind) !== undefined,
    (msg, fields) => log.warn(fields, msg),
  );
  let feed: TopicTableFeed | undefined;
  try {
    feed = await startTopicTableFeed<'deployments' | 'shadows'>(connection, {
      clientId: `foreshadow-prober-${o.vantage}`,
      topics: {
        deployments: o.topics.deployments ?? DEPLOYMENTS_TOPIC,
        shadows: o.topics.shadowState ?? SHADOW_STATE_TOPIC,
      },
      catalogue: { deployments: DEPLOYMENTS_TOPIC, shadows: SHADOW_STATE_TOPIC },
      format: o.format,
      tombstones: 'apply',
      apply: (table_, key, value) => {
        if (table_ === 'deployments') table.onDeployment(key, value as Deployment | null);
        else table.onShadowState(key, value as ShadowState | null);
        prober.setTargets(table.targets());
      },
      skipMessage: 'prober skipped a record',
      log: (msg, fields) => log.warn(fields, msg),
    });
  } catch (err: unknown) {
    await prober.stop();
    throw err;
  }
  const running = feed;
  return {
    prober,
    ready: running.ready,
    async stop() {
      await running.stop();
      await prober.stop();
    },
  };
}
