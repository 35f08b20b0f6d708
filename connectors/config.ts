/**
 * Connector configuration files (connectors/configs/<name>.json: `{ "name", "config" }`) and their
 * environment substitution. Two kinds of placeholders, on purpose:
 *  - `${VAR}` / `${VAR:-default}`: substituted here, before the REST call (topic names, files,
 *    URLs: anything that is not secret);
 *  - `${env:VAR}`: left alone and resolved by the Connect worker's EnvVarConfigProvider, so
 *    secrets (passwords) never travel in REST payloads, never appear in the connector config
 *    stored in Connect's config topic, and never pass through this process.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../streams/runtime/errors.js';

export const CONFIGS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'configs');

const connectorFileSchema = z.object({
  name: z.string().min(1),
  config: z.record(z.string(), z.string()),
});
export type ConnectorDefinition = z.infer<typeof connectorFileSchema>;

/** Upper-case names only, so `${env:VAR}` (worker-side) never matches. */
const PLACEHOLDER = /\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g;

/** Substitutes `${VAR}` / `${VAR:-default}`; every missing variable without a default is reported at once. */
export function substituteEnv(text: string, env: NodeJS.ProcessEnv, lenient = false): string {
  const missing = new Set<string>();
  const out = text.replace(PLACEHOLDER, (m, name: string, fallback: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    missing.add(name);
    return lenient ? m : '';
  });
  if (missing.size > 0 && !lenient) {
    throw new ConfigError(`connector config needs environment variables: ${[...missing].join(', ')}`, {
      missing: [...missing],
    });
  }
  return out;
}

/** File names (without .json) of the shipped connector configs. */
export async function listConnectorFiles(dir = CONFIGS_DIR): Promise<string[]> {
  return (await readdir(dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/**
 * Loads and substitutes one config. `lenient` leaves unknown placeholders as they are: status and
 * delete only need the connector name, and should not demand the deploy-time variables.
 */
export async function loadConnector(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  dir = CONFIGS_DIR,
  lenient = false,
): Promise<ConnectorDefinition> {
  const raw = await readFile(join(dir, `${file}.json`), 'utf8');
  // Substitution happens on each string value after parsing, so a value cannot break the JSON.
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err: unknown) {
    throw new ConfigError(
      `connector file ${file}.json is not JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const def = connectorFileSchema.safeParse(parsed);
  if (!def.success)
    throw new ConfigError(
      `connector file ${file}.json: ${def.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(def.data.config)) config[k] = substituteEnv(v, env, lenient);
  return { name: substituteEnv(def.data.name, env), config };
}
