/**
 * Registers the Avro schemas of the topic catalogue in the schema registry (subject
 * `<topic>-value`, BACKWARD compatibility). The schema text is the record module's (the same text
 * as the generated `schemas/<file>.avsc` and as the serdes register, so one schema is one registry
 * version). Talks to any Confluent-API-compatible registry through @kafkajs/confluent-schema-registry
 * plus the two REST calls that client does not wrap (compatibility config and checks).
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { TOPICS, type TopicSpec } from '../streams/catalogue.js';
import { describeError, ForeshadowError } from '../streams/runtime/errors.js';
import type { RecordDefinition } from './record.js';

export type Compatibility = 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FULL' | 'NONE';

export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** Tries of one registration (backing off 0.1-3.2 s) before it is reported as failed. */
const REGISTER_ATTEMPTS = 5;

export interface RegisteredSchema {
  topic: string;
  subject: string;
  id: number;
}

export class SchemaCatalogue {
  readonly registry: SchemaRegistry;

  constructor(readonly registryUrl: string) {
    this.registry = new SchemaRegistry({ host: registryUrl });
  }

  private async rest(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${this.registryUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // Non-JSON error pages are reported as text.
    }
    return { status: res.status, json };
  }

  async setCompatibility(subject: string, level: Compatibility): Promise<void> {
    const { status, json } = await this.rest('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level });
    if (status >= 300) {
      throw new ForeshadowError('REGISTRY_FAILED', `could not set ${level} compatibility on ${subject}`, {
        context: { status, response: json },
      });
    }
  }

  /** Asks the registry whether `schema` may become the next version of `subject`. */
  async isCompatible(subject: string, schema: string): Promise<{ compatible: boolean; messages: string[] }> {
    const { status, json } = await this.rest(
      'POST',
      `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`,
      { schema, schemaType: 'AVRO' },
    );
    if (status === 404) return { compatible: true, messages: [] }; // no earlier version
    if (status >= 300) {
      throw new ForeshadowError('REGISTRY_FAILED', `compatibility check failed for ${subject}`, {
        context: { status, response: json },
      });
    }
    const body = json as { is_compatible?: boolean; messages?: string[] };
    return { compatible: body.is_compatible === true, messages: body.messages ?? [] };
  }

  /**
   * Registers one schema under `<topic>-value` with BACKWARD compatibility. An incompatible change
   * fails with the registry's explanation instead of a bare HTTP status.
   */
  async registerTopic(topic: string, record: RecordDefinition): Promise<RegisteredSchema> {
    const subject = valueSubject(topic);
    const schema = record.text;
    const check = await this.isCompatible(subject, schema);
    if (!check.compatible) {
      throw new ForeshadowError(
        'REGISTRY_FAILED',
        `schema ${record.file}.avsc is not BACKWARD compatible with ${subject}`,
        {
          context: { subject, reasons: check.messages },
        },
      );
    }
    // Registering the same schema is idempotent, but two processes registering a new subject at
    // the same moment can collide (Apicurio: "artifact ... already exists"): a retry finds the
    // subject the other created and gets the same id.
    for (let attempt = 1; ; attempt++) {
      try {
        const { id } = await this.registry.register({ type: SchemaType.AVRO, schema }, { subject });
        await this.setCompatibility(subject, 'BACKWARD');
        return { topic, subject, id };
      } catch (err: unknown) {
        if (attempt < REGISTER_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, 100 * 2 ** attempt * (0.5 + Math.random())));
          continue;
        }
        throw new ForeshadowError('REGISTRY_FAILED', `registering ${subject} failed: ${describeError(err)}`, {
          cause: err,
          context: { subject, attempts: attempt },
        });
      }
    }
  }

  async registerCatalogue(topics: readonly TopicSpec[] = TOPICS): Promise<RegisteredSchema[]> {
    const out: RegisteredSchema[] = [];
    for (const t of topics) {
      if (t.value) out.push(await this.registerTopic(t.name, t.value));
    }
    return out;
  }
}
