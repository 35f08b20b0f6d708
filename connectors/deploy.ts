/**
 * deploy / status / delete of the shipped connector configs, used by `foreshadow connectors` and
 * the tests. Deploy = load + substitute env, validate through the plugin's validate endpoint
 * (nothing is created if any key has an error), create or update, wait for the tasks to run.
 */
import { ConfigError } from '../streams/runtime/errors.js';
import { CONFIGS_DIR, type ConnectorDefinition, listConnectorFiles, loadConnector } from './config.js';
import { ConnectClient, type ConnectorStatus } from './connect-client.js';

export interface ConnectorsOptions {
  connectUrl: string;
  env?: NodeJS.ProcessEnv;
  dir?: string;
  timeoutMs?: number;
}

/** `all` or one config file name → the definitions. */
export async function resolveConnectors(
  which: string,
  o: ConnectorsOptions,
  lenient = false,
): Promise<ConnectorDefinition[]> {
  const dir = o.dir ?? CONFIGS_DIR;
  const files = await listConnectorFiles(dir);
  const chosen = which === 'all' ? files : files.filter((f) => f === which);
  if (chosen.length === 0) throw new ConfigError(`unknown connector "${which}"; known: ${files.join(', ')}, all`);
  const defs: ConnectorDefinition[] = [];
  for (const f of chosen) defs.push(await loadConnector(f, o.env ?? process.env, dir, lenient));
  return defs;
}

export async function deployConnector(def: ConnectorDefinition, o: ConnectorsOptions): Promise<ConnectorStatus> {
  const client = new ConnectClient(o.connectUrl);
  const problems = await client.validate({ ...def.config, name: def.name });
  if (problems.length > 0) {
    throw new ConfigError(
      `connector ${def.name} is invalid: ${problems.map((p) => `${p.key}: ${p.errors.join(', ')}`).join('; ')}`,
      { problems },
    );
  }
  await client.put(def.name, def.config);
  return client.waitRunning(def.name, o.timeoutMs ?? 90_000);
}

export async function connectorStatus(
  def: ConnectorDefinition,
  o: ConnectorsOptions,
): Promise<ConnectorStatus | undefined> {
  return new ConnectClient(o.connectUrl).status(def.name);
}

export async function deleteConnector(def: ConnectorDefinition, o: ConnectorsOptions): Promise<boolean> {
  return new ConnectClient(o.connectUrl).delete(def.name);
}

export function describeStatus(s: ConnectorStatus | undefined, name: string): string {
  if (!s) return `${name}: not deployed`;
  const tasks = s.tasks.map((t) => `${t.id}:${t.state}`).join(' ') || 'no tasks';
  return `${name}: ${s.connector.state} (${tasks})`;
}
