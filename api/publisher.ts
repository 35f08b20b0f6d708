/**
 * Where operating calls go: `operator.requests` (for the processors to act on) and `audit.api`.
 * The interface lets tests capture records; the Kafka implementation encodes Avro through the
 * registry with the catalogue's schemas and waits for the broker's acknowledgement (acks=all,
 * idempotent producer) before the API answers 202.
 */
import type { Producer } from 'kafkajs';
import { API_AUDIT_RECORD, type ApiAudit } from '../schemas/records/api-audit.js';
import { OPERATOR_REQUEST_RECORD, type OperatorRequest } from '../schemas/records/operator-request.js';
import { AUDIT_TOPIC, OPERATOR_REQUESTS_TOPIC } from '../streams/catalogue.js';
import type { KafkaConnection } from '../streams/runtime/config.js';
import { createKafka } from '../streams/runtime/kafka-client.js';
import { jsonSerde, type Serde } from '../streams/runtime/serdes.js';
import { recordSerde } from '../streams/topic-serdes.js';

export interface OperatorPublisher {
  publishRequest(request: OperatorRequest): Promise<void>;
  publishAudit(audit: ApiAudit): Promise<void>;
  close(): Promise<void>;
}

/** Keeps what was published in memory: for tests and for running the API without a broker. */
export class MemoryPublisher implements OperatorPublisher {
  readonly requests: OperatorRequest[] = [];
  readonly audits: ApiAudit[] = [];
  async publishRequest(request: OperatorRequest): Promise<void> {
    this.requests.push(request);
  }
  async publishAudit(audit: ApiAudit): Promise<void> {
    this.audits.push(audit);
  }
  async close(): Promise<void> {}
}

export interface KafkaPublisherOptions {
  requestsTopic?: string;
  auditTopic?: string;
  /** 'avro' (default, via the registry) or 'json' (tests without a registry). */
  format?: 'avro' | 'json';
}

export class KafkaPublisher implements OperatorPublisher {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;
  private readonly requestsTopic: string;
  private readonly auditTopic: string;
  private readonly requestSerde: Serde<OperatorRequest>;
  private readonly auditSerde: Serde<ApiAudit>;

  constructor(conn: KafkaConnection, options: KafkaPublisherOptions = {}) {
    this.producer = createKafka(conn, 'foreshadow-api').producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    this.requestsTopic = options.requestsTopic ?? OPERATOR_REQUESTS_TOPIC;
    this.auditTopic = options.auditTopic ?? AUDIT_TOPIC;
    const json = options.format === 'json';
    this.requestSerde = json ? jsonSerde<OperatorRequest>() : recordSerde(OPERATOR_REQUEST_RECORD);
    this.auditSerde = json ? jsonSerde<ApiAudit>() : recordSerde(API_AUDIT_RECORD);
  }

  private connect(): Promise<void> {
    this.connected ??= this.producer.connect();
    return this.connected;
  }

  async publishRequest(request: OperatorRequest): Promise<void> {
    await this.connect();
    const value = await this.requestSerde.serialize(this.requestsTopic, request);
    await this.producer.send({
      topic: this.requestsTopic,
      acks: -1,
      messages: [{ key: request.subject, value, timestamp: String(request.requestedAt) }],
    });
  }

  async publishAudit(audit: ApiAudit): Promise<void> {
    await this.connect();
    const value = await this.auditSerde.serialize(this.auditTopic, audit);
    await this.producer.send({
      topic: this.auditTopic,
      acks: -1,
      messages: [{ key: audit.principal, value, timestamp: String(audit.timestamp) }],
    });
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}
