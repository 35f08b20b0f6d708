/**
 * A quick look at the cluster before starting anything: one Kafka metadata round trip and one
 * registry request, each bounded in time, so a wrong address or a stack that is not running gives
 * one line within seconds instead of minutes of kafkajs retries ending in a stack trace. Used by
 * `foreshadow run`, the demo and every benchmark.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConnection } from '../streams/runtime/config.js';
import { ForeshadowError } from '../streams/runtime/errors.js';
import { kafkaConfig } from '../streams/runtime/kafka-client.js';

export interface ClusterCheckOptions {
  /** Bound of the Kafka check (the registry's is a third of it). Default 10 s. */
  timeoutMs?: number;
  /** Also check the schema registry (default true). */
  registry?: boolean;
  /** Appended to the message: what to do about it. */
  hint?: string;
}

export class ClusterUnreachable extends ForeshadowError {
  constructor(message: string) {
    super('NOT_CONNECTED', message);
    this.name = 'ClusterUnreachable';
  }
}

function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error && !err.message.includes(err.cause.message) ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`.replace(/\s+/g, ' ').slice(0, 200);
}

async function within<T>(ms: number, what: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      what,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms / 1000)} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function checkCluster(conn: KafkaConnection, options: ClusterCheckOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const hint = options.hint ? `; ${options.hint}` : '';
  const kafka = new Kafka({
    ...kafkaConfig(conn, `${conn.clientId}-check`),
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(3_000, timeoutMs),
    retry: { retries: 2, initialRetryTime: 300, maxRetryTime: 1_000 },
  });
  const admin = kafka.admin();
  try {
    await within(
      timeoutMs,
      (async () => {
        await admin.connect();
        await admin.describeCluster();
      })(),
    );
  } catch (err: unknown) {
    throw new ClusterUnreachable(`cannot reach Kafka at ${conn.brokers.join(',')} (${reasonOf(err)})${hint}`);
  } finally {
    void admin.disconnect().catch(() => undefined);
  }
  if (options.registry === false) return;
  try {
    const res = await fetch(`${conn.registryUrl.replace(/\/$/, '')}/subjects`, {
      signal: AbortSignal.timeout(Math.max(1_000, Math.round(timeoutMs / 3))),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (err: unknown) {
    throw new ClusterUnreachable(`cannot reach the schema registry at ${conn.registryUrl} (${reasonOf(err)})${hint}`);
  }
}

/**
 * For benchmarks and drills: the stack must be up. If it is not, one line says how to start it and
 * the process exits (code 2) within seconds, whatever its own error handling would print.
 */
export async function requireStack(conn: KafkaConnection, options: { registry?: boolean } = {}): Promise<void> {
  try {
    await checkCluster(conn, {
      timeoutMs: 5_000,
      ...(options.registry === undefined ? {} : { registry: options.registry }),
      hint: 'start the local stack with `npm run stack:up` (or point KAFKA_BROKERS / SCHEMA_REGISTRY_URL at a cluster)',
    });
  } catch (err: unknown) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  }
}
