/**
 * `foreshadow run --config foreshadow.yaml [--apps <selector>] [--operability-port <n>]`: runs
 * Foreshadow's apps against the cluster in the configuration (or the environment) until SIGTERM /
 * SIGINT, which drains them (commit, leave the groups, close) and exits 0. `--apps` takes app and
 * group names, comma-separated (default `all`; cli/run/app-names.ts lists them):
 *   host-health, regional, shadows, actuators, actuators:<name>, api, or an app's own name.
 * Started with an IPC channel (the demo's supervisor), it reports each app's readiness over it and
 * stops when the channel closes, so a supervisor that dies leaves no orphans.
 */
import { parseArgs } from 'node:util';
import { describeError } from '../../streams/runtime/errors.js';
import type { CliCommand } from '../command.js';
import { selectApps } from '../run/app-names.js';
import { connectionFor, loadRunConfig } from '../run/config-loader.js';
import { type RunEvent, Runner } from '../run/runner.js';

export const USAGE =
  'usage: foreshadow run --config <foreshadow.yaml> [--apps all|host-health,regional,shadows,actuators[:<name>],api,<app>] [--operability-port <n>]';

/** The options of `foreshadow run` (also checked statically against the container's command). */
export const RUN_OPTIONS = {
  config: { type: 'string', short: 'c' },
  apps: { type: 'string', default: 'all' },
  'operability-port': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseRunArgs(args: string[]) {
  return parseArgs({ args, options: RUN_OPTIONS, strict: true, allowPositionals: false }).values;
}

/** A stop that hangs (a broker gone mid-commit) must not keep the process alive for ever. */
const DRAIN_LIMIT_MS = 30_000;

export const command: CliCommand = {
  summary: 'run Foreshadow apps on your cluster: --config foreshadow.yaml --apps all|host-health,…',
  async run(args) {
    let values: ReturnType<typeof parseRunArgs>;
    try {
      values = parseRunArgs(args);
    } catch (err: unknown) {
      console.error(`foreshadow run: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
      return 2;
    }
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (!values.config) {
      console.error(USAGE);
      return 2;
    }
    let operabilityPort: number | undefined;
    if (values['operability-port'] !== undefined) {
      operabilityPort = Number(values['operability-port']);
      if (!Number.isInteger(operabilityPort) || operabilityPort < 0 || operabilityPort > 65_535) {
        console.error(`--operability-port needs a port number, got ${values['operability-port']}`);
        return 2;
      }
    }
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
