/**
 * The foreshadow.yaml the demo (and the failover drill) runs its pipeline with: `foreshadow run`
 * processes as any deployment would run them, with the demo's tuning. What differs from the
 * production defaults is here with the reason: a demo fleet reports every second instead of every
 * few seconds and must show a whole shadow lifecycle within minutes; every run starts at the present
 * with its own application ids (a previous run's stores and decisions never leak in).
 */
import { stringify } from 'yaml';
import type { RunConfigInput } from '../cli/run/config-schema.js';
import type { ShadowManagerOptions } from '../streams/processors/shadow-manager/options.js';

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

export interface DemoConfigOptions {
  stateDir: string;
  /** Suffix of every consumer group and application id (lets a drill run beside the demo). */
  idSuffix: string;
  /** Demo hosts the Redis actuator may start shadows on, each with its data directory. */
  redisHosts: Record<string, { bindAddress: string; dataRoot: string }>;
  haproxySocket: string;
  /** resourceId → HAProxy backend, for commands without `haproxy.backend`. */
  haproxyBackends: Record<string, string>;
  /** Resource kinds the simulated actuator plays (everything but the real Redis); none: no simulated actuator. */
  simulatedKinds: string[];
  apiPort: number;
}

export function demoRunConfig(o: DemoConfigOptions): RunConfigInput {
  return {
    stateDir: o.stateDir,
    idSuffix: o.idSuffix,
    // A broker that holds other runs' records: act on what happens now, not replay them.
    startAt: 'latest',
    // `foreshadow demo` created the catalogue once before starting the processes.
    ensureCatalogue: false,
    // One process per group on one machine: each picks a free port (the supervisor is told).
    operability: { host: '127.0.0.1', port: 0 },
    shadows: DEMO_SHADOW_MANAGER,
    capacity: {
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
    },
    actuators: {
      redis: {
        options: { hosts: o.redisHosts, pollIntervalMs: 100, syncTimeoutMs: 20_000 },
        // Every demo "host" is a data directory on this machine: a shadow needs a loopback port.
        shadowPorts: 'auto',
        // Commands of one resource run in order: a FENCE of a primary that just died (connection
        // refused) must fail fast, or the PROMOTE queued behind it waits out the default backoff
        // (~2.4 s). The shadow manager retries failed steps itself, with its own backoff.
        retry: { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 200 },
      },
      haproxy: { options: { runtimeApi: o.haproxySocket, backends: o.haproxyBackends } },
      ...(o.simulatedKinds.length > 0
        ? {
            simulated: {
              options: {
                kinds: o.simulatedKinds,
                defaults: { delayMs: { type: 'uniform', min: 100, max: 600 } },
                lagBytes: { type: 'uniform', min: 0, max: 4096 },
                instanceLaunchMs: { type: 'lognormal', median: 8_000, sigma: 0.4 },
              },
            },
          }
        : {}),
    },
    api: { host: '127.0.0.1', port: o.apiPort },
  };
}

export function demoRunConfigYaml(o: DemoConfigOptions): string {
  return `# Written by the demo for its \`foreshadow run\` processes.\n${stringify(demoRunConfig(o))}`;
}
