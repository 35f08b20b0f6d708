/**
 * Where operating calls go: `operator.requests` (for the processors to act on) and `audit.api`.
 * The interface lets tests capture records; the Kafka implementation encodes Avro through the
 * registry with the catalogue's schemas and waits for the broker's acknowledgement (acks=all,
 * idempotent producer) before the API answers 202. A request for every partition (the pause, which
 * every task of the region-partitioned failover orchestrator must see) is written once to each
 * partition of operator.requests, with the same request id, in one send.
 */
import type { Admin, Producer } from 'kafkajs';
import { API_AUDIT_RECORD, type ApiAudit } from '../schemas/records/api-audit.js';
import { OPERATOR_REQUEST_RECORD, type OperatorRequest } from '../schemas/records/operator-request.js';
import { AUDIT_TOPIC, OPERATOR_REQUESTS_TOPIC } from '../streams/catalogue.js';
import type { KafkaConnection } from '../streams/runtime/config.js';
import { createKafka } from '../streams/runtime/kafka-client.js';
import { jsonSerde, type Serde } from '../streams/runtime/serdes.js';
import { recordSerde } from '../streams/topic-serdes.js';

export interface PublishOptions {
  /** Write the request to every partition of operator.requests (same request id), not by key. */
  allPartitions?: boolean;
}

export interface OperatorPublisher {
  publishRequest(request: OperatorRequest, options?: PublishOptions): Promise<void>;
  publishAudit(audit: ApiAudit): Promise<void>;
  close(): Promise<void>;
}

/** Keeps what was published in memory: for tests and for running the API without a broker. */
export class MemoryPublisher implements OperatorPublisher {
  readonly requests: OperatorRequest[] = [];
  /** The request ids that were written to every partition. */
  readonly toAllPartitions: string[] = [];
  readonly audits: ApiAudit[] = [];
  async publishRequest(request: OperatorRequest, options: PublishOptions = {}): Promise<void> {
    this.requests.push(request);
    if (options.allPartitions) this.toAllPartitions.push(request.requestId);
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
  private readonly admin: Admin;
  private adminConnected: Promise<void> | undefined;
  private connected: Promise<void> | undefined;
  private readonly requestsTopic: string;
  private readonly auditTopic: string;
  private readonly requestSerde: Serde<OperatorRequest>;
  private readonly auditSerde: Serde<ApiAudit>;

  constructor(conn: KafkaConnection, options: KafkaPublisherOptions = {}) {
    const kafka = createKafka(conn, 'foreshadow-api');
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    this.admin = kafka.admin();
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

  async publishRequest(request: OperatorRequest, options: PublishOptions = {}): Promise<void> {
    await this.connect();
    const value = await this.requestSerde.serialize(this.requestsTopic, request);
    const message = { key: request.subject, value, timestamp: String(request.requestedAt) };
    const partitions = options.allPartitions ? await this.partitions() : undefined;
    await this.producer.send({
      topic: this.requestsTopic,
      acks: -1,
      messages: partitions ? partitions.map((partition) => ({ ...message, partition })) : [message],
    });
  }

  /** The partitions of operator.requests, read afresh each time (a raised count must be covered). */
  private async partitions(): Promise<number[]> {
    if (!this.adminConnected) {
      this.adminConnected = this.admin.connect();
      // A failed connection is retried by the next call rather than remembered.
      this.adminConnected.catch(() => {
        this.adminConnected = undefined;
      });
    }
    await this.adminConnected;
    const meta = await this.admin.fetchTopicMetadata({ topics: [this.requestsTopic] });
    const partitions = meta.topics[0]?.partitions.map((p) => p.partitionId) ?? [];
    if (partitions.length === 0) throw new Error(`topic ${this.requestsTopic} has no partitions`);
    return partitions.sort((a, b) => a - b);
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
    if (this.adminConnected) await this.admin.disconnect();
  }
}
