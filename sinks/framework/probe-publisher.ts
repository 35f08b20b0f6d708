/**
 * Publishes probe observations on resource.probes (key resourceId, Avro through the registry with
 * its record, schemas/records/resource-probe.ts), acks=all: an observation the judge may count is durable.
 */
import type { Producer } from 'kafkajs';
import { RESOURCE_PROBE_RECORD, type ResourceProbe } from '../../schemas/records/resource-probe.js';
import { PROBES_TOPIC } from '../../streams/catalogue.js';
import type { KafkaConnection } from '../../streams/runtime/config.js';
import { createKafka } from '../../streams/runtime/kafka-client.js';
import { jsonSerde, type Serde } from '../../streams/runtime/serdes.js';
import { recordSerde } from '../../streams/topic-serdes.js';
import type { ObservationSink } from './prober.js';

export class KafkaObservationSink implements ObservationSink {
  private readonly producer: Producer;
  private readonly serde: Serde<ResourceProbe>;
  private connected: Promise<void> | undefined;

  constructor(
    conn: KafkaConnection,
    private readonly topic: string = PROBES_TOPIC,
    format: 'avro' | 'json' = 'avro',
  ) {
    this.producer = createKafka(conn, `${conn.clientId}-prober`).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    this.serde = format === 'json' ? jsonSerde<ResourceProbe>() : recordSerde(RESOURCE_PROBE_RECORD);
  }

  async publish(o: ResourceProbe): Promise<void> {
    this.connected ??= this.producer.connect();
    await this.connected;
    const value = await this.serde.serialize(this.topic, o);
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [{ key: o.resourceId, value, timestamp: String(o.timestamp) }],
    });
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}
