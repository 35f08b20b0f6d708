/**
 * What `foreshadow run --apps …` can start: the stream processors by name, the actuators configured
 * in the file (`actuators:<name>`), the API, and groups of them. One list so the command, the
 * configuration's per-app tuning, the demo and the tests agree on what exists.
 *
 *   host-health = metric-ingest + host-baseline + failure-risk
 *   regional    = capacity-fingerprint + dependency-map + shadow-region + region-health
 *   shadows     = shadow-manager + failover-orchestrator
 *   actuators   = every actuator in the file; actuators:<name> one of them
 *   api         = the HTTP API and dashboard
 *   all         = everything above
 */
import { ConfigError } from '../../streams/runtime/errors.js';

export const STREAMS_APP_NAMES = [
  'metric-ingest',
  'host-baseline',
  'failure-risk',
  'capacity-fingerprint',
  'dependency-map',
  'shadow-region',
  'region-health',
  'shadow-manager',
  'failover-orchestrator',
] as const;
export type StreamsAppName = (typeof STREAMS_APP_NAMES)[number];

export const APP_GROUPS = {
  'host-health': ['metric-ingest', 'host-baseline', 'failure-risk'],
  regional: ['capacity-fingerprint', 'dependency-map', 'shadow-region', 'region-health'],
  shadows: ['shadow-manager', 'failover-orchestrator'],
} as const satisfies Record<string, readonly StreamsAppName[]>;
export type AppGroupName = keyof typeof APP_GROUPS;

export const ACTUATOR_PREFIX = 'actuators:';
export type ActuatorAppName = `${typeof ACTUATOR_PREFIX}${string}`;
export type AppName = StreamsAppName | ActuatorAppName | 'api';

export function isStreamsAppName(s: string): s is StreamsAppName {
  return (STREAMS_APP_NAMES as readonly string[]).includes(s);
}

export function isAppGroupName(s: string): s is AppGroupName {
  return Object.hasOwn(APP_GROUPS, s);
}

export function actuatorAppName(actuator: string): ActuatorAppName {
  return `${ACTUATOR_PREFIX}${actuator}`;
}

/** The actuator's name in the configuration, for an app name `actuators:<name>`. */
export function actuatorOf(app: AppName): string | undefined {
  return app.startsWith(ACTUATOR_PREFIX) ? app.slice(ACTUATOR_PREFIX.length) : undefined;
}

/**
 * The apps a `--apps` selector names, in pipeline order (processors, actuators, API), each once.
 * `actuators` are the ones configured; an unknown name is an error listing what is known.
 */
export function selectApps(selector: string, configuredActuators: readonly string[]): AppName[] {
  const wanted = new Set<AppName>();
  const unknown: string[] = [];
  for (const raw of selector.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (name === 'all') {
      for (const a of STREAMS_APP_NAMES) wanted.add(a);
      for (const a of configuredActuators) wanted.add(actuatorAppName(a));
      wanted.add('api');
    } else if (isAppGroupName(name)) for (const a of APP_GROUPS[name]) wanted.add(a);
    else if (isStreamsAppName(name) || name === 'api') wanted.add(name);
    else if (name === 'actuators') for (const a of configuredActuators) wanted.add(actuatorAppName(a));
    else if (name.startsWith(ACTUATOR_PREFIX) && configuredActuators.includes(name.slice(ACTUATOR_PREFIX.length)))
      wanted.add(name as ActuatorAppName);
    else unknown.push(name);
  }
  if (unknown.length > 0) {
    const known = [
      'all',
      ...Object.keys(APP_GROUPS),
      ...STREAMS_APP_NAMES,
      'actuators',
      ...configuredActuators.map(actuatorAppName),
      'api',
    ];
    throw new ConfigError(`--apps: unknown ${unknown.map((u) => `"${u}"`).join(', ')}; known: ${known.join(', ')}`, {
      unknown,
    });
  }
  if (wanted.size === 0) throw new ConfigError('--apps names no app');
  const order = (a: AppName): number =>
    isStreamsAppName(a) ? STREAMS_APP_NAMES.indexOf(a) : a === 'api' ? 1_000 : STREAMS_APP_NAMES.length;
  return [...wanted].sort((a, b) => order(a) - order(b));
}
