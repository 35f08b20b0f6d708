/**
 * Splits one commit's outgoing messages (outputs + changelog records) into produce calls that the
 * broker and kafkajs both handle well:
 *   - bytes: a partition's record batch must stay under the broker's `message.max.bytes` (1 MiB by
 *     default), or the broker rejects the whole produce request (MESSAGE_TOO_LARGE) and the commit
 *     is retried with the very same batch for ever. The budget below counts every message of a call,
 *     whatever its partition, so each partition's batch is at most the budget.
 *   - count: kafkajs groups a call's messages per partition by re-copying the partition's array for
 *     each message (quadratic: ~6 µs per message at 500 per partition, ~50 µs at 4 000), so calls
 *     carry a bounded number of messages.
 * Order within a topic-partition is kept: chunks are yielded (and sent) in input order.
 */
import type { Message } from 'kafkajs';

export interface SendLimits {
  /** Messages per produce call. */
  maxMessages: number;
  /** Estimated bytes per produce call (sum of the messages' sizes). */
  maxBytes: number;
}

/**
 * Defaults: 768 KiB leaves room under the broker's default 1 MiB `message.max.bytes` for the
 * record-batch framing our estimate does not count exactly; 500 messages keeps kafkajs' per-partition
 * grouping cheap while a 1 s commit of ~50k records still needs only ~100 round trips.
 */
export const DEFAULT_SEND_LIMITS: SendLimits = { maxMessages: 500, maxBytes: 768 * 1024 };

/** Per-record framing in a v2 record batch (varints, attributes, deltas) — an upper estimate. */
const RECORD_OVERHEAD = 32;

function sizeOf(v: Buffer | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/** Estimated encoded size of one message in a record batch. */
export function messageBytes(m: Message): number {
  let n = RECORD_OVERHEAD + sizeOf(m.key) + sizeOf(m.value);
  if (m.headers) {
    for (const [k, v] of Object.entries(m.headers)) {
      n += 8 + Buffer.byteLength(k);
      if (Array.isArray(v)) for (const x of v) n += sizeOf(x);
      else n += sizeOf(v);
    }
  }
  return n;
}

export interface TopicChunk {
  topic: string;
  messages: Message[];
}

/**
 * Yields produce calls within `limits`. A single message larger than `maxBytes` travels alone: it
 * cannot be split, and the broker's verdict on it is clearer than a guess here.
 */
export function* chunkMessages(
  byTopic: ReadonlyMap<string, readonly Message[]>,
  limits: SendLimits = DEFAULT_SEND_LIMITS,
): Generator<TopicChunk[]> {
  let current: TopicChunk[] = [];
  let count = 0;
  let bytes = 0;
  for (const [topic, messages] of byTopic) {
    let open: TopicChunk | undefined;
    for (const m of messages) {
      const size = messageBytes(m);
      if (count > 0 && (count >= limits.maxMessages || bytes + size > limits.maxBytes)) {
        yield current;
        current = [];
        count = 0;
        bytes = 0;
        open = undefined;
      }
      if (!open) {
        open = { topic, messages: [] };
        current.push(open);
      }
      open.messages.push(m);
      count++;
      bytes += size;
    }
  }
  if (count > 0) yield current;
}
