/**
 * `foreshadow run --config foreshadow.yaml [--apps <selector>] [--operability-port <n>]`: runs
 * Foreshadow's apps against the cluster in the configuration (or the environment) until SIGTERM /
 * SIGINT, which drains them (commit, leave the groups, close) and exits 0. `--apps` takes app and
 * group names, comma-separated (default `all`; cli/run/app-names.ts lists them):
 *   host-health, regional, shadows, actuators, actuators:<name>, api, or an app's own name.
 * Started with an IPC channel (the demo's supervisor), it reports each app's readiness over it and
 * stops when the channel closes, so a supervisor that dies leaves no orphans.
 */
import { describeError } from '../../streams/runtime/errors.js';
import { numberFlag, parseFlags, UsageError } from '../args.js';
import type { CliCommand } from '../command.js';
import { selectApps } from '../run/app-names.js';
import { connectionFor, loadRunConfig } from '../run/config-loader.js';
import { type RunEvent, Runner } from '../run/runner.js';

/** The flags of `foreshadow run` (also checked statically against the container's command). */
export const RUN_FLAGS = {
  command: 'run',
  usage:
    'usage: foreshadow run --config <foreshadow.yaml> [--apps all|host-health,regional,shadows,actuators[:<name>],api,<app>] [--operability-port <n>]',
  options: {
    config: { type: 'string', short: 'c' },
    apps: { type: 'string', default: 'all' },
    'operability-port': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
} as const;

/** The command line of `foreshadow run`; throws UsageError on an unknown flag or a bad value. */
export function parseRunArgs(args: readonly string[]) {
  const { values } = parseFlags(args, RUN_FLAGS);
  const operabilityPort = numberFlag(values['operability-port'], 'operability-port', RUN_FLAGS, { integer: true });
  if (operabilityPort !== undefined && operabilityPort > 65_535)
    throw new UsageError(`run: --operability-port needs a port number, got ${operabilityPort}`, RUN_FLAGS.usage);
  if (!values.help && !values.config)
    throw new UsageError('run: --config <foreshadow.yaml> is required', RUN_FLAGS.usage);
  return { ...values, operabilityPort };
}

/** A stop that hangs (a broker gone mid-commit) must not keep the process alive for ever. */
const DRAIN_LIMIT_MS = 30_000;

export const command: CliCommand = {
  summary: 'run Foreshadow apps on your cluster: --config foreshadow.yaml --apps all|host-health,…',
  async run(args) {
    const values = parseRunArgs(args);
    if (values.help || values.config === undefined) {
      console.log(RUN_FLAGS.usage);
      return 0;
    }
    const { operabilityPort } = values;
    const loaded = loadRunConfig(values.config);
    const apps = selectApps(values.apps, Object.keys(loaded.config.actuators));
    // Serdes find the registry through the environment (streams/runtime/serdes.ts sharedRegistry):
    // the file's address, when the environment names none, must reach them too.
    process.env.SCHEMA_REGISTRY_URL = connectionFor(loaded.config).registryUrl;
    const ipc = typeof process.send === 'function';
    const tell = (e: RunEvent): void => {
      if (ipc) process.send?.(e);
    };
    const runner = new Runner({
      loaded,
      apps,
      ...(operabilityPort === undefined ? {} : { operabilityPort }),
      onEvent: tell,
    });
    const stop = (): void => {
      setTimeout(() => {
        console.error(`foreshadow run: not drained after ${DRAIN_LIMIT_MS / 1000} s; exiting`);
        process.exit(1);
      }, DRAIN_LIMIT_MS).unref();
      void runner.stop(0);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    if (ipc) process.once('disconnect', stop);
    try {
      await runner.start();
    } catch (err: unknown) {
      await runner.stop(1);
      tell({ type: 'failed', app: apps.join(','), error: describeError(err) });
      throw err;
    }
    const code = await runner.done;
    // Drained: leave now rather than wait for a client library's idle timer.
    process.exit(code);
  },
};
