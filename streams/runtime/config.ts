/**
 * Connection settings shared by every Foreshadow process, read from the environment and validated
 * at start-up so a typo fails fast with a message naming the variable.
 */
import { z } from 'zod';
import { ConfigError } from './errors.js';

/** A comma-separated list; the default applies before parsing (zod 4 `prefault`). */
const csv = (fallback: string) =>
  z
    .string()
    .trim()
    .min(1)
    .prefault(fallback)
    .transform((s) =>
      s
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p.length > 0),
    );

const envSchema = z.object({
  KAFKA_BROKERS: csv('127.0.0.1:9092'),
  SCHEMA_REGISTRY_URL: z.string().url().default('http://127.0.0.1:8081/apis/ccompat/v7'),
  CONNECT_URL: z.string().url().default('http://127.0.0.1:8083'),
  KAFKA_CLIENT_ID: z.string().min(1).default('foreshadow'),
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-512', 'scram-sha-256', 'plain']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  /** PEM file of the CA that signed the broker certificate; setting it turns TLS on. */
  KAFKA_SSL_CA_FILE: z.string().optional(),
  KAFKA_SSL: z.enum(['true', 'false']).optional(),
  FORESHADOW_STATE_DIR: z.string().min(1).default('.foreshadow/state'),
});

export type Env = z.infer<typeof envSchema>;

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  registryUrl: string;
  connectUrl: string;
  stateDir: string;
  sasl?: { mechanism: 'scram-sha-512' | 'scram-sha-256' | 'plain'; username: string; password: string };
  ssl?: { caFile?: string };
}

export function loadConnection(env: NodeJS.ProcessEnv = process.env): KafkaConnection {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment: ${problems.join('; ')}`, { problems });
  }
  const e = parsed.data;
  const conn: KafkaConnection = {
    brokers: e.KAFKA_BROKERS,
    clientId: e.KAFKA_CLIENT_ID,
    registryUrl: e.SCHEMA_REGISTRY_URL,
    connectUrl: e.CONNECT_URL,
    stateDir: e.FORESHADOW_STATE_DIR,
  };
  if (e.KAFKA_SASL_MECHANISM) {
    if (!e.KAFKA_SASL_USERNAME || !e.KAFKA_SASL_PASSWORD) {
      throw new ConfigError('KAFKA_SASL_MECHANISM is set but KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is missing');
    }
    conn.sasl = { mechanism: e.KAFKA_SASL_MECHANISM, username: e.KAFKA_SASL_USERNAME, password: e.KAFKA_SASL_PASSWORD };
  }
  if (e.KAFKA_SSL_CA_FILE || e.KAFKA_SSL === 'true') {
    conn.ssl = e.KAFKA_SSL_CA_FILE ? { caFile: e.KAFKA_SSL_CA_FILE } : {};
  }
  return conn;
}
