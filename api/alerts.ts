/**
 * Alert ingestion: `POST /alerts` receives Alertmanager's webhook (payload version 4), token-
 * protected with the `operate` role (a failure alert moves traffic) and audited like every
 * operating call; `GET /alerts` lists the recent alert evidence. Each alert is mapped by
 * alert-mapping.ts: evidence on the `alerts` topic for all of them, and a host.failures record for
 * the firing ones that match the failure matchers. An invalid payload is answered 400 with the
 * reasons; alerts that name no host or known resource are answered in `ignored`, with why.
 *
 * Settings (environment, validated at start-up): ALERTS_FAILURE_MATCHERS (default
 * `severity=critical`), ALERTS_HOST_LABEL (`host`), ALERTS_RESOURCE_LABEL (`resource`),
 * ALERTS_REGION_LABEL (`region`), ALERTS_BODY_LIMIT_BYTES (1 MiB: a group can carry many alerts).
 *
 * What the evidence feeds today: the `alerts` topic (30 days) and this view. The risk model does
 * not read it yet; it is the record a failure-risk feature (firing alerts per host) would use.
 */
import type { FastifyInstance } from 'fastify';
import type { Producer } from 'kafkajs';
import { z } from 'zod';
import { ALERT_EVIDENCE_RECORD, type AlertEvidence } from '../schemas/records/alert-evidence.js';
import { HOST_FAILURE_RECORD, type HostFailure } from '../schemas/records/host-failure.js';
import { ALERTS_TOPIC, FAILURES_TOPIC } from '../streams/catalogue.js';
import type { KafkaConnection } from '../streams/runtime/config.js';
import { ConfigError } from '../streams/runtime/errors.js';
import { createKafka } from '../streams/runtime/kafka-client.js';
import { jsonSerde, type Serde } from '../streams/runtime/serdes.js';
import { recordSerde } from '../streams/topic-serdes.js';
import {
  type AlertMappingOptions,
  alertmanagerWebhook,
  mapAlert,
  parseMatchers,
  type ResourceLookup,
} from './alert-mapping.js';
import { HttpError, parse } from './http-error.js';
import type { RouteDoc } from './openapi.js';
import type { ApiExtension } from './server.js';
import { startTopicTableFeed, type TopicTableFeed } from './topic-table-feed.js';

const envSchema = z.object({
  ALERTS_FAILURE_MATCHERS: z.string().min(1).default('severity=critical'),
  ALERTS_HOST_LABEL: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('host'),
  ALERTS_RESOURCE_LABEL: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('resource'),
  ALERTS_REGION_LABEL: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('region'),
  ALERTS_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(16 * 1_048_576)
    .default(1_048_576),
});

export interface AlertSettings extends AlertMappingOptions {
  bodyLimit: number;
}

export function loadAlertSettings(env: NodeJS.ProcessEnv = process.env): AlertSettings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid alert settings: ${problems.join('; ')}`, { problems });
  }
  const e = parsed.data;
  return {
    hostLabel: e.ALERTS_HOST_LABEL,
    resourceLabel: e.ALERTS_RESOURCE_LABEL,
    regionLabel: e.ALERTS_REGION_LABEL,
    failureMatchers: parseMatchers(e.ALERTS_FAILURE_MATCHERS),
    bodyLimit: e.ALERTS_BODY_LIMIT_BYTES,
  };
}

/** Where mapped alerts go: Kafka in production, arrays in tests. */
export interface AlertPublisher {
  publishFailure(f: HostFailure): Promise<void>;
  publishEvidence(e: AlertEvidence): Promise<void>;
  close(): Promise<void>;
}

export class MemoryAlertPublisher implements AlertPublisher {
  readonly failures: HostFailure[] = [];
  readonly evidence: AlertEvidence[] = [];
  async publishFailure(f: HostFailure): Promise<void> {
    this.failures.push(f);
  }
  async publishEvidence(e: AlertEvidence): Promise<void> {
    this.evidence.push(e);
  }
  async close(): Promise<void> {}
}

/** acks=all, idempotent: the API answers only once both records are durable. */
export class KafkaAlertPublisher implements AlertPublisher {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;
  private readonly failureSerde: Serde<HostFailure>;
  private readonly evidenceSerde: Serde<AlertEvidence>;

  constructor(
    conn: KafkaConnection,
    format: 'avro' | 'json' = 'avro',
    private readonly topics: { alerts: string; failures: string } = { alerts: ALERTS_TOPIC, failures: FAILURES_TOPIC },
  ) {
    this.producer = createKafka(conn, 'foreshadow-api-alerts').producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    this.failureSerde = format === 'json' ? jsonSerde() : recordSerde(HOST_FAILURE_RECORD);
    this.evidenceSerde = format === 'json' ? jsonSerde() : recordSerde(ALERT_EVIDENCE_RECORD);
  }

  private connect(): Promise<void> {
    this.connected ??= this.producer.connect();
    return this.connected;
  }

  async publishFailure(f: HostFailure): Promise<void> {
    await this.connect();
    const value = await this.failureSerde.serialize(this.topics.failures, f);
    await this.producer.send({ topic: this.topics.failures, acks: -1, messages: [{ key: f.host, value }] });
  }

  async publishEvidence(e: AlertEvidence): Promise<void> {
    await this.connect();
    const value = await this.evidenceSerde.serialize(this.topics.alerts, e);
    await this.producer.send({
      topic: this.topics.alerts,
      acks: -1,
      messages: [{ key: e.host, value, timestamp: String(e.receivedAt) }],
    });
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}

/** The recent alert evidence, newest first (rebuilt from the `alerts` topic on every start). */
export class AlertView {
  /** Oldest first; records mostly arrive in order, so an insert walks back a step or two. */
  private readonly recent: AlertEvidence[] = [];
  constructor(private readonly capacity = 1_000) {}

  add(e: AlertEvidence): void {
    let i = this.recent.length;
    while (i > 0 && this.recent[i - 1]!.receivedAt > e.receivedAt) i--;
    this.recent.splice(i, 0, e);
    if (this.recent.length > this.capacity) this.recent.splice(0, this.recent.length - this.capacity);
  }

  list(filter: { host?: string; status?: AlertEvidence['status']; limit: number }): AlertEvidence[] {
    const out: AlertEvidence[] = [];
    for (let i = this.recent.length - 1; i >= 0 && out.length < filter.limit; i--) {
      const e = this.recent[i]!;
      if (
        (filter.host === undefined || e.host === filter.host) &&
        (filter.status === undefined || e.status === filter.status)
      )
        out.push(e);
    }
    return out;
  }
}

export function startAlertFeed(
  view: AlertView,
  conn: KafkaConnection,
  options: {
    topic?: string;
    format?: 'avro' | 'json';
    log?: (msg: string, fields: Record<string, unknown>) => void;
  } = {},
): Promise<TopicTableFeed> {
  return startTopicTableFeed<'alerts'>(conn, {
    clientId: 'foreshadow-api-alerts',
    topics: { alerts: options.topic ?? ALERTS_TOPIC },
    catalogue: { alerts: ALERTS_TOPIC },
    format: options.format,
    tombstones: 'skip',
    apply: (_t, _k, value) => view.add(value as AlertEvidence),
    skipMessage: 'alert view skipped a record',
    log: options.log,
  });
}

const alertsQuery = z
  .object({
    host: z.string().trim().min(1).max(200).optional(),
    status: z.enum(['FIRING', 'RESOLVED']).optional(),
    limit: z.coerce.number().int().min(1).max(1_000).default(100),
  })
  .strict();

const alertsResponse = z.object({
  received: z.number().int(),
  failures: z.number().int().describe('host.failures records published (firing alerts matching the failure matchers)'),
  evidence: z.number().int().describe('records published on the alerts topic'),
  ignored: z.array(z.object({ index: z.number().int(), alertname: z.string(), reason: z.string() })),
});

export const ALERT_ROUTES: RouteDoc[] = [
  {
    method: 'POST',
    url: '/alerts',
    summary: 'Alertmanager webhook (v4): failure alerts become host.failures, every alert risk evidence',
    tag: 'alerts',
    role: 'operate',
    body: alertmanagerWebhook,
    response: alertsResponse,
    successStatus: 202,
  },
  {
    method: 'GET',
    url: '/alerts',
    summary: 'Recent alert evidence, newest first',
    tag: 'alerts',
    role: 'read',
    query: alertsQuery,
  },
];

export interface AlertsExtensionOptions {
  publisher: AlertPublisher;
  view: AlertView;
  settings: AlertSettings;
  lookup: ResourceLookup;
  now?: () => number;
}

export function alertsExtension(o: AlertsExtensionOptions): ApiExtension {
  const now = o.now ?? Date.now;
  return {
    routes: ALERT_ROUTES,
    register(app: FastifyInstance) {
      app.get('/alerts', async (req) => {
        const q = parse(alertsQuery, req.query, 'query');
        return { alerts: o.view.list(q) };
      });
      app.post('/alerts', { bodyLimit: o.settings.bodyLimit }, async (req, reply) => {
        const hook = parse(alertmanagerWebhook, req.body, 'body');
        const ignored: z.infer<typeof alertsResponse>['ignored'] = [];
        let failures = 0;
        let evidence = 0;
        const at = now();
        try {
          for (const [index, a] of hook.alerts.entries()) {
            const m = mapAlert(a, hook, o.settings, o.lookup, at);
            if (m.kind === 'ignored') {
              ignored.push({ index, alertname: a.labels.alertname ?? '', reason: m.reason });
              continue;
            }
            // The failure first: if the evidence then fails, Alertmanager's retry repeats a
            // failure that names the same failover (same host and start), which is acted on once.
            if (m.failure) {
              await o.publisher.publishFailure(m.failure);
              failures++;
            }
            await o.publisher.publishEvidence(m.evidence);
            evidence++;
          }
        } catch (err: unknown) {
          req.log.error({ err }, 'alert records could not be published');
          // 5xx: Alertmanager retries the notification.
          throw new HttpError(503, 'UNAVAILABLE', 'the alerts could not be recorded; Alertmanager will retry');
        }
        reply.code(202);
        return { received: hook.alerts.length, failures, evidence, ignored };
      });
    },
  };
}
