/**
 * An actuator as `foreshadow run` builds it from the configuration (`actuators.<name>`): its
 * provider with the validated options, the Kafka ledger and the command consumer in group
 * `foreshadow-actuator-<name><idSuffix>` (or `groupId`), with its outcomes counted for /metrics. A
 * Redis actuator with `shadowPorts` is a host agent that also picks each new shadow's port.
 */
import { ActuatorMetrics } from '../../sinks/framework/actuator-metrics.js';
import { FAILOVER_COMMANDS_TOPIC, SHADOW_COMMANDS_TOPIC } from '../../sinks/framework/consumer.js';
import { ShadowPortAssigner } from '../../sinks/redis/shadow-ports.js';
import { runActuator } from '../../sinks/run-actuator.js';
import { ConfigError } from '../../streams/runtime/errors.js';
import type { ActuatorAppName } from './app-names.js';
import type { AppContext, RunningApp } from './running-app.js';

function hostsOf(options: Record<string, unknown>): Record<string, { bindAddress?: string }> {
  const hosts = options.hosts;
  return typeof hosts === 'object' && hosts !== null ? (hosts as Record<string, { bindAddress?: string }>) : {};
}

export async function startActuatorApp(name: ActuatorAppName, actuator: string, ctx: AppContext): Promise<RunningApp> {
  const { config, providers } = ctx.loaded;
  const entry = config.actuators[actuator];
  const kind = providers.get(actuator);
  if (!entry || !kind) throw new ConfigError(`no actuator "${actuator}" in ${ctx.loaded.file}`);
  const groupId = entry.groupId ?? `foreshadow-actuator-${actuator}${config.idSuffix}`;
  const metrics = new ActuatorMetrics({ actuator });
  const ports = entry.shadowPorts;
  const running = await runActuator({
    kind,
    name: actuator,
    providerOptions: entry.options,
    connection: ctx.conn,
    groupId,
    ...(ports ? { wrapProvider: (p) => new ShadowPortAssigner(p, hostsOf(entry.options), ports) } : {}),
    consumer: {
      metrics,
      ...(entry.retry ? { retry: entry.retry } : {}),
      ...(entry.concurrency ? { concurrency: entry.concurrency } : {}),
      ...(entry.sessionTimeoutMs ? { sessionTimeoutMs: entry.sessionTimeoutMs } : {}),
    },
  });
  let open = true;
  return {
    name,
    ready: () => open,
    registries: () => [metrics.registry],
    groups: [{ groupId, topics: [SHADOW_COMMANDS_TOPIC, FAILOVER_COMMANDS_TOPIC] }],
    close: async () => {
      open = false;
      await running.stop();
    },
  };
}
