/**
 * The schema of foreshadow.yaml, the one file `foreshadow run` is configured by (an annotated
 * example: examples/foreshadow.yaml). Every object is strict: a misspelt key is an error, never
 * ignored. Processor sections are checked by the processors' own schemas (processor-options.ts),
 * actuator options by their provider's schema (config-loader.ts), both with file lines.
 *
 * The cluster connection and the API's settings may also come from the environment as before
 * (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_SASL_*, API_TOKENS, …): a variable that is set wins over
 * the file, so one file serves every environment and secrets stay out of it.
 */
import { z } from 'zod';
import { PROVIDER_KIND_NAMES } from '../../sinks/provider-options.js';
import { shadowManagerOptions } from '../../streams/processors/shadow-manager/options.js';
import { APP_GROUPS, STREAMS_APP_NAMES } from './app-names.js';
import { PROCESSOR_SECTIONS } from './processor-options.js';

const port = z.number().int().min(0).max(65_535);
const guarantee = z.enum(['exactly-once', 'at-least-once']);

const clusterSchema = z.strictObject({
  brokers: z.array(z.string().min(1)).min(1).optional(),
  schemaRegistryUrl: z.url().optional(),
  connectUrl: z.url().optional(),
  clientId: z.string().min(1).optional(),
  /** The password is read from the environment variable named here, never from the file. */
  sasl: z
    .strictObject({
      mechanism: z.enum(['scram-sha-512', 'scram-sha-256', 'plain']),
      username: z.string().min(1),
      passwordEnv: z.string().min(1),
    })
    .optional(),
  /** true: TLS with the system CAs; { caFile }: TLS with this CA. */
  tls: z.union([z.boolean(), z.strictObject({ caFile: z.string().min(1) })]).optional(),
});

const appTuningSchema = z.strictObject({
  guarantee: guarantee.optional(),
  commitIntervalMs: z.number().int().positive().optional(),
  /**
   * How long the group waits for a silent (dead, frozen) instance before its partitions move: the
   * floor of a takeover (default 10 s; the broker allows 6–300 s by default).
   */
  sessionTimeoutMs: z.number().int().min(1_000).optional(),
});

/** `apps:` keys: an app or a group name (an app's own entry wins over its group's). */
const tunedNames = z.enum([...STREAMS_APP_NAMES, ...(Object.keys(APP_GROUPS) as (keyof typeof APP_GROUPS)[])]);

const actuatorSchema = z.strictObject({
  /** Provider kind; defaults to the actuator's name when that is a kind (`redis:` → redis). */
  provider: z.enum(PROVIDER_KIND_NAMES).optional(),
  /** The provider's options (docs/actuators.md), checked by its schema. */
  options: z.record(z.string(), z.unknown()).default({}),
  /**
   * Redis only: the shadow manager names a target host but no port; the actuator (the host's agent)
   * picks one: `auto` (a free port) or a range.
   */
  shadowPorts: z
    .union([
      z.literal('auto'),
      z.strictObject({ from: port.min(1), to: port.min(1) }).refine((r) => r.from <= r.to, 'from must be ≤ to'),
    ])
    .optional(),
  retry: z
    .strictObject({
      maxAttempts: z.number().int().min(1).optional(),
      initialDelayMs: z.number().int().min(0).optional(),
      maxDelayMs: z.number().int().min(0).optional(),
      multiplier: z.number().min(1).optional(),
      jitter: z.number().min(0).max(1).optional(),
    })
    .optional(),
  /** Consumer group; default foreshadow-actuator-<name><idSuffix>. One group per host agent. */
  groupId: z.string().min(1).optional(),
  /** Partitions handled in parallel. */
  concurrency: z.number().int().positive().optional(),
  sessionTimeoutMs: z.number().int().min(6_000).optional(),
});

const tokenEntry = z
  .string()
  .regex(/^[^:\s]+:(read|operate):[0-9a-f]{64}$/, 'expected principal:read|operate:<sha256 hex of the token>');

const apiSchema = z.strictObject({
  /** 0.0.0.0 in a container; 127.0.0.1 keeps it on this machine. */
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(8088),
  /** Hashed tokens (`foreshadow api hash-token <token>`); API_TOKENS in the environment wins. */
  tokens: z.array(tokenEntry).min(1).optional(),
  format: z.enum(['avro', 'json']).default('avro'),
  rateLimit: z.strictObject({ burst: z.number().int().min(1), perSecond: z.number().min(0.01) }).optional(),
  bodyLimitBytes: z.number().int().min(256).max(10_485_760).optional(),
});

const operabilitySchema = z.strictObject({
  /** /metrics, /healthz and /readyz of each `foreshadow run` process. */
  host: z.string().min(1).default('0.0.0.0'),
  port: port.default(9464),
  /** How often consumer-group lag is read from the cluster for /metrics. */
  lagIntervalMs: z.number().int().min(1_000).default(10_000),
});

export const runConfigSchema = z
  .strictObject({
    cluster: clusterSchema.default({}),
    /** Local state (RocksDB stores, checkpoints): one folder per app under it. */
    stateDir: z.string().min(1).default('/var/lib/foreshadow'),
    /** Appended to every application id and consumer group (a second pipeline on one cluster). */
    idSuffix: z
      .string()
      .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only')
      .default(''),
    /** Where a new consumer group starts: retained history (earliest) or now (latest). */
    startAt: z.enum(['earliest', 'latest']).default('earliest'),
    /** Create the topic catalogue and register the schemas at start (idempotent). */
    ensureCatalogue: z.boolean().default(true),
    operability: operabilitySchema.default({ host: '0.0.0.0', port: 9464, lagIntervalMs: 10_000 }),
    /** Per app (or group) guarantee and commit interval; defaults in app-registry.ts. */
    apps: z.partialRecord(tunedNames, appTuningSchema).default({}),
    ingest: PROCESSOR_SECTIONS.ingest.optional(),
    baseline: PROCESSOR_SECTIONS.baseline.optional(),
    risk: PROCESSOR_SECTIONS.risk.optional(),
    capacity: PROCESSOR_SECTIONS.capacity.optional(),
    dependencies: PROCESSOR_SECTIONS.dependencies.optional(),
    blueprints: PROCESSOR_SECTIONS.blueprints.optional(),
    regionHealth: PROCESSOR_SECTIONS.regionHealth.optional(),
    shadows: PROCESSOR_SECTIONS.shadows.optional(),
    failover: PROCESSOR_SECTIONS.failover.optional(),
    /** Actuators by name (`--apps actuators:<name>`). */
    actuators: z
      .record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and "-"'), actuatorSchema)
      .default({}),
    api: apiSchema.default({ host: '127.0.0.1', port: 8088, format: 'avro' }),
  })
  .superRefine((c, ctx) => {
    // The shadow manager counts risk records as a host's signs of life: sparser records than its
    // heartbeat timeout would fail healthy hosts over.
    const every = c.risk?.emitEveryMs ?? 0;
    if (every === 0) return;
    let timeout: number;
    try {
      const shadows = shadowManagerOptions(c.shadows ?? {});
      timeout = shadows.heartbeatIntervalMs * shadows.heartbeatMissedIntervals;
    } catch {
      return; // the shadows section's own issues are reported by its schema
    }
    if (every >= timeout)
      ctx.addIssue({
        code: 'custom',
        path: ['risk', 'emitEveryMs'],
        message: `must be below the shadow manager's heartbeat timeout (shadows.heartbeatIntervalMs × heartbeatMissedIntervals = ${timeout} ms), which counts risk records as signs of life`,
      });
  });

export type RunConfig = z.output<typeof runConfigSchema>;
export type RunConfigInput = z.input<typeof runConfigSchema>;
export type ActuatorConfig = z.output<typeof actuatorSchema>;
export type Guarantee = z.output<typeof guarantee>;
