/**
 * Reads and validates foreshadow.yaml at start-up: every problem at once, each naming the field and
 * the file line (`foreshadow.yaml:31: shadows.enterThreshold: Too big: expected number to be <=1`).
 * Then derives what the apps need: the cluster connection and the API settings, each from the file
 * with the environment's variables (when set) taking precedence.
 */
import { type ApiSettings, loadApiSettings } from '../../api/options.js';
import { PROVIDER_KIND_NAMES, PROVIDER_OPTION_SCHEMAS } from '../../sinks/provider-options.js';
import type { ProviderKind } from '../../sinks/providers.js';
import { type KafkaConnection, loadConnection } from '../../streams/runtime/config.js';
import { ConfigError } from '../../streams/runtime/errors.js';
import {
  locateIssues,
  parseYamlSource,
  readYamlSource,
  type SourceProblem,
  sourceError,
  type YamlSource,
} from '../yaml-source.js';
import { type RunConfig, runConfigSchema } from './config-schema.js';

export interface LoadedRunConfig {
  file: string;
  config: RunConfig;
  /** Provider kind of each configured actuator. */
  providers: ReadonlyMap<string, ProviderKind>;
}

function isProviderKind(k: string): k is ProviderKind {
  return (PROVIDER_KIND_NAMES as readonly string[]).includes(k);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Actuator entries checked against their provider's schema (on the raw file value). */
function actuatorProblems(
  source: YamlSource,
  raw: unknown,
): { problems: SourceProblem[]; providers: Map<string, ProviderKind> } {
  const problems: SourceProblem[] = [];
  const providers = new Map<string, ProviderKind>();
  const actuators = isRecord(raw) ? raw.actuators : undefined;
  if (!isRecord(actuators)) return { problems, providers };
  for (const [name, entry] of Object.entries(actuators)) {
    if (!isRecord(entry)) continue; // the structural schema reports it
    const declared = entry.provider;
    const kind = typeof declared === 'string' ? declared : name;
    if (!isProviderKind(kind)) {
      if (declared === undefined)
        problems.push({
          line: source.lineOf(['actuators', name]),
          path: `actuators.${name}.provider`,
          message: `required: "${name}" is not a provider kind (${PROVIDER_KIND_NAMES.join(', ')})`,
        });
      continue; // a bad `provider:` value is reported by the structural schema
    }
    providers.set(name, kind);
    const options = entry.options ?? {};
    const parsed = PROVIDER_OPTION_SCHEMAS[kind].strict().safeParse(options);
    if (!parsed.success) problems.push(...locateIssues(source, parsed.error.issues, ['actuators', name, 'options']));
    if (entry.shadowPorts !== undefined && kind !== 'redis')
      problems.push({
        line: source.lineOf(['actuators', name, 'shadowPorts']),
        path: `actuators.${name}.shadowPorts`,
        message: `only a redis actuator assigns shadow ports (this one is ${kind})`,
      });
  }
  return { problems, providers };
}

export function validateRunConfig(source: YamlSource): LoadedRunConfig {
  const raw = source.value ?? {};
  const parsed = runConfigSchema.safeParse(raw);
  const problems = parsed.success ? [] : locateIssues(source, parsed.error.issues);
  const actuators = actuatorProblems(source, raw);
  problems.push(...actuators.problems);
  if (!parsed.success || problems.length > 0) throw sourceError(source, 'configuration', problems);
  return { file: source.file, config: parsed.data, providers: actuators.providers };
}

export function loadRunConfig(file: string): LoadedRunConfig {
  return validateRunConfig(readYamlSource(file));
}

/** For tests and the demo: a configuration given as text. */
export function parseRunConfig(text: string, file = 'foreshadow.yaml'): LoadedRunConfig {
  return validateRunConfig(parseYamlSource(text, file));
}

/** The file's values as the environment variables they stand for, under the real environment. */
function overlay(fromFile: Record<string, string | undefined>, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(fromFile)) if (v !== undefined) merged[k] = v;
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') merged[k] = v;
  return merged;
}

/** Cluster connection: the file's `cluster` and `stateDir`, the environment's variables first. */
export function connectionFor(config: RunConfig, env: NodeJS.ProcessEnv = process.env): KafkaConnection {
  const c = config.cluster;
  const tls = c.tls;
  if (c.sasl && !env.KAFKA_SASL_PASSWORD && !env[c.sasl.passwordEnv])
    throw new ConfigError(`cluster.sasl.passwordEnv: the environment variable ${c.sasl.passwordEnv} is not set`);
  return loadConnection(
    overlay(
      {
        KAFKA_BROKERS: c.brokers?.join(','),
        SCHEMA_REGISTRY_URL: c.schemaRegistryUrl,
        CONNECT_URL: c.connectUrl,
        KAFKA_CLIENT_ID: c.clientId,
        KAFKA_SASL_MECHANISM: c.sasl?.mechanism,
        KAFKA_SASL_USERNAME: c.sasl?.username,
        KAFKA_SASL_PASSWORD: c.sasl ? env[c.sasl.passwordEnv] : undefined,
        KAFKA_SSL: tls === true ? 'true' : undefined,
        KAFKA_SSL_CA_FILE: typeof tls === 'object' ? tls.caFile : undefined,
        FORESHADOW_STATE_DIR: config.stateDir,
      },
      env,
    ),
  );
}

/** API settings: the file's `api`, the environment's API_* variables first. */
export function apiSettingsFor(config: RunConfig, env: NodeJS.ProcessEnv = process.env): ApiSettings {
  const a = config.api;
  return loadApiSettings(
    overlay(
      {
        API_HOST: a.host,
        API_PORT: String(a.port),
        API_TOKENS: a.tokens?.join(','),
        API_FORMAT: a.format,
        API_RATE_LIMIT_BURST: a.rateLimit ? String(a.rateLimit.burst) : undefined,
        API_RATE_LIMIT_PER_SECOND: a.rateLimit ? String(a.rateLimit.perSecond) : undefined,
        API_BODY_LIMIT_BYTES: a.bodyLimitBytes === undefined ? undefined : String(a.bodyLimitBytes),
      },
      env,
    ),
  );
}
