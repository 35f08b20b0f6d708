/**
 * Dead letters: where a record that cannot be deserialised or processed goes (`<source>.dlq`), and
 * the headers that say why. Shared by the runtime, the actuators and the topic catalogue.
 */
import { describeError } from './errors.js';
import type { OutgoingRecord, RawRecord } from './task-io.js';
export const DEAD_LETTER_SUFFIX = '.dlq';

/**
 * Why a record was dead-lettered (`x-dlq-reason`). `validation`: the value decoded but is absurd (a
 * serde that validates threw VALIDATION_FAILED); `timestamp`: no usable event time.
 */
export type DeadLetterReason = 'deserialization' | 'validation' | 'processing' | 'timestamp';

export const DLQ_HEADERS = {
  sourceTopic: 'x-dlq-source-topic',
  sourcePartition: 'x-dlq-source-partition',
  sourceOffset: 'x-dlq-source-offset',
  processor: 'x-dlq-processor',
  error: 'x-dlq-error',
  reason: 'x-dlq-reason',
  /** Several apps read one topic and share its dead-letter topic: this says which one gave up. */
  application: 'x-dlq-application',
} as const;

export function deadLetterTopic(sourceTopic: string): string {
  return `${sourceTopic}${DEAD_LETTER_SUFFIX}`;
}

/**
 * Records smaller than this are dead-lettered whole: a few hundred bytes of x-dlq-* headers cannot
 * push them over any broker's `message.max.bytes`.
 */
export const LARGE_RECORD_BYTES = 64 * 1024;

/** Headers naming the original sizes of a key or value cut to fit a dead letter. */
export const DLQ_TRUNCATED_HEADERS = { key: 'x-dlq-key-bytes', value: 'x-dlq-value-bytes' } as const;

/** Per-header framing (varint lengths) that `recordBytes` does not count. */
const SLACK_BYTES = 128;

export interface DeadLetterBody {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Key, value and header bytes of a record (its framing aside). */
export function recordBytes(r: DeadLetterBody): number {
  let n = (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const [k, v] of Object.entries(r.headers)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/**
 * Keeps a dead letter no larger than the record it copies (`sourceBytes`, by `recordBytes`). A
 * record the broker accepted can sit a few bytes under `message.max.bytes`; copied with the x-dlq-*
 * headers it no longer fits, the broker refuses the dead letter, the commit fails, and the record
 * is retried for ever, holding up its whole partition. So a large record's value (then, if still
 * needed, its key) loses as many bytes as the headers add, and a header keeps the original size.
 */
export function fitDeadLetter(body: DeadLetterBody, sourceBytes: number): DeadLetterBody {
  if (sourceBytes < LARGE_RECORD_BYTES) return body;
  const keyBytes = body.key?.length ?? 0;
  const valueBytes = body.value?.length ?? 0;
  const headers: Record<string, string> = { ...body.headers, [DLQ_TRUNCATED_HEADERS.value]: String(valueBytes) };
  if (keyBytes + valueBytes > 0) headers[DLQ_TRUNCATED_HEADERS.key] = String(keyBytes);
  const over = recordBytes({ key: body.key, value: body.value, headers }) + SLACK_BYTES - sourceBytes;
  if (over <= 0) return body;
  const value = body.value === null ? null : body.value.subarray(0, Math.max(0, valueBytes - over));
  const keyOver = over - (valueBytes - (value?.length ?? 0));
  const key = keyOver > 0 && body.key ? body.key.subarray(0, Math.max(0, keyBytes - keyOver)) : body.key;
  if (key === body.key) delete headers[DLQ_TRUNCATED_HEADERS.key];
  return { key, value, headers };
}

/** The dead letter of a raw record: its bytes (cut to fit if large) and the x-dlq-* headers. */
export function deadLetterRecord(
  raw: RawRecord,
  applicationId: string,
  processor: string,
  reason: DeadLetterReason,
  err: unknown,
): OutgoingRecord {
  // A record just under the broker's size limit would not fit again with the headers: cut to fit.
  const source = recordBytes({ key: raw.key, value: raw.value, headers: raw.headers });
  const body = fitDeadLetter(
    {
      key: raw.key,
      value: raw.value,
      headers: {
        ...raw.headers,
        [DLQ_HEADERS.sourceTopic]: raw.topic,
        [DLQ_HEADERS.sourcePartition]: String(raw.partition),
        [DLQ_HEADERS.sourceOffset]: raw.offset,
        [DLQ_HEADERS.processor]: processor,
        // Header values stay bounded: a stack trace can be megabytes.
        [DLQ_HEADERS.error]: describeError(err).slice(0, 1000),
        [DLQ_HEADERS.reason]: reason,
        [DLQ_HEADERS.application]: applicationId,
      },
    },
    source,
  );
  return { topic: deadLetterTopic(raw.topic), timestamp: raw.timestamp, ...body };
}
