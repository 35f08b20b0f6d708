/**
 * The bad-input corpus for one input topic, generated from a seed: structural garbage suited to
 * the topic's format (random bytes, truncated Avro, unknown schema ids, a valid Avro record of the
 * wrong schema, malformed or deeply nested JSON, empty and null values, payloads just under and
 * just over the broker's limit), bad keys around a valid value, and the schema-valid absurd values
 * of `topic-records.ts` (expected `reject` where the record validators of streams/validation refuse
 * them, `either` otherwise), with good records interleaved and one good record last (it proves the
 * consumers got past everything before it).
 */
import { prng } from './corpus.js';
import { TOPIC_RECORDS, type TopicRecords } from './topic-records.js';

/**
 * What a consumer must do with an item: `reject` (dead letter, broker refusal, or a logged skip in
 * a read-only view), `accept` (its effect must be observed), `either` (one of the two, never
 * silence), `refuse` (the broker must refuse it).
 */
export type Expectation = 'reject' | 'accept' | 'either' | 'refuse';

export interface TopicFuzzItem {
  id: string;
  /** Catalogue topic name. */
  topic: string;
  kind: string;
  key: Buffer | null;
  value: Buffer | null;
  expect: Expectation;
  /** Identity of the record's effect downstream (see topic-records.ts). */
  marker?: string;
  /** The decoded value when the item is a schema-valid record (consumers' relevance checks). */
  fields?: Record<string, unknown>;
}

export interface TopicCorpusOptions {
  seed: number;
  /** Run-unique tag in every marker. */
  tag: string;
  now: number;
  /** Items per bad kind. */
  perKind: number;
  /** The broker's message.max.bytes: the near-limit payload stays just under it, one goes over. */
  maxMessageBytes: number;
  /** Encodes a value with the Avro schema of a catalogue topic (registry, `<actual topic>-value`). */
  avro: (catalogueTopic: string, value: unknown) => Promise<Buffer>;
}

/**
 * Bytes under message.max.bytes: room for the batch framing (~120 bytes with this corpus' short key
 * and one x-fuzz-id header) and not for the ~200 bytes of x-dlq-* headers a dead letter adds.
 */
const NEAR_LIMIT_MARGIN = 160;

const text = (s: string): Buffer => Buffer.from(s, 'utf8');
const json = (v: unknown): Buffer => text(JSON.stringify(v));

/** The Avro topic whose records are sent as "the wrong schema" to `topic`: the next Avro topic. */
function wrongSchemaTopic(topic: string): TopicRecords {
  const avro = TOPIC_RECORDS.filter((t) => 'avro' in t.format);
  const i = avro.findIndex((t) => t.topic === topic);
  return avro[(i + 1) % avro.length]!;
}

export async function buildTopicCorpus(spec: TopicRecords, o: TopicCorpusOptions): Promise<TopicFuzzItem[]> {
  const rnd = prng(o.seed);
  const items: TopicFuzzItem[] = [];
  let n = 0;
  // Markers end in a letter so that no marker is a prefix of another.
  const nextMarker = (): string => `${o.tag}${(n++).toString(36)}q`;
  const isAvro = 'avro' in spec.format;
  const encode = async (topic: string, value: unknown): Promise<Buffer> =>
    'avro' in topicOf(topic).format ? o.avro(topic, value) : json(value);
  const add = (
    kind: string,
    expect: Expectation,
    value: Buffer | null,
    extra: Partial<Pick<TopicFuzzItem, 'key' | 'marker' | 'fields'>> = {},
  ): void => {
    const marker = extra.marker;
    items.push({
      id: `${spec.topic}/${kind}/${items.length}`,
      topic: spec.topic,
      kind,
      key: extra.key === undefined ? text(marker ?? `k${items.length}`) : extra.key,
      value,
      expect,
      ...(marker === undefined ? {} : { marker }),
      ...(extra.fields === undefined ? {} : { fields: extra.fields }),
    });
  };
  const good = async (kind = 'good'): Promise<void> => {
    const marker = nextMarker();
    const g = spec.good(marker, o.now);
    add(kind, 'accept', await encode(spec.topic, g.value), {
      key: text(g.key),
      marker,
      fields: g.value as Record<string, unknown>,
    });
  };

  for (let i = 0; i < o.perKind; i++) {
    await good();
    // Binary noise that is neither UTF-8 nor the Avro magic byte.
    const noise = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 256) }, () => Math.floor(rnd() * 256)));
    noise[0] = 0xff;
    add('random-bytes', 'reject', noise);
    add('empty-value', 'reject', Buffer.alloc(0));
    if (!spec.compacted) add('null-value', 'reject', null);

    if (isAvro) {
      const g = spec.good(nextMarker(), o.now);
      const valid = await encode(spec.topic, g.value);
      add('truncated-avro', 'reject', valid.subarray(0, Math.max(6, Math.floor(valid.length / 2))));
      const unknown = Buffer.alloc(5 + 16, 7);
      unknown.writeUInt8(0, 0);
      unknown.writeUInt32BE(2_000_000_000 + i, 1);
      add('unknown-schema-id', 'reject', unknown);
      const other = wrongSchemaTopic(spec.topic);
      const m = nextMarker();
      const wrong = other.good(m, o.now);
      add('wrong-schema', 'reject', await encode(other.topic, wrong.value), { key: text(wrong.key), marker: m });
    } else {
      const m = nextMarker();
      const g = spec.good(m, o.now);
      const full = JSON.stringify(g.value);
      add('malformed-json', 'reject', text(full.slice(0, Math.floor(full.length / 2))), { marker: m });
      add('wrong-shape-json', 'reject', json({ hello: 'world', n: [1, 2, 3] }));
      add('deeply-nested-json', 'reject', text(`${'['.repeat(20_000)}${']'.repeat(20_000)}`));
      add('avro-bytes', 'reject', await o.avro('metrics.samples', topicOf('metrics.samples').good(m, o.now).value));
    }
    await good();

    // Bad keys around a valid value: dead-lettered or processed, never lost. (Unique per item where
    // they can be: tables keep one value per key.)
    for (const kind of ['empty-key', 'oversized-key', 'invalid-utf8-key'] as const) {
      const marker = nextMarker();
      const key =
        kind === 'empty-key'
          ? Buffer.alloc(0)
          : kind === 'oversized-key'
            ? text(`${'k'.repeat(100_000)}${marker}`)
            : Buffer.concat([Buffer.from([0xff, 0xfe, 0xc3]), text(marker)]);
      const g = spec.good(marker, o.now);
      add(kind, 'either', await encode(spec.topic, g.value), {
        key,
        marker,
        fields: g.value as Record<string, unknown>,
      });
    }

    for (const v of spec.semantic) {
      const marker = nextMarker();
      const g = spec.good(marker, o.now);
      const value = v.patch(g.value as Record<string, unknown>);
      add(v.kind, v.expect ?? 'either', await encode(spec.topic, value), { key: text(g.key), marker, fields: value });
    }
    await good();
  }

  // Just under the broker's limit (room for the key and the x-fuzz-id header, not for much more):
  // every consumer must cope with it, including writing it to a dead-letter topic.
  const near = Buffer.alloc(o.maxMessageBytes - NEAR_LIMIT_MARGIN, 0x61);
  near[0] = isAvro ? 0xff : 0x7b;
  add('near-limit', 'reject', near);
  // Just over it: the broker refuses it before any consumer sees it.
  add('over-limit', 'refuse', Buffer.alloc(o.maxMessageBytes + 1_024, 0x62));
  await good('good-last');
  return items;
}

function topicOf(topic: string): TopicRecords {
  const r = TOPIC_RECORDS.find((t) => t.topic === topic);
  if (!r) throw new Error(`no fuzz records for ${topic}`);
  return r;
}
