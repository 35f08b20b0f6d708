/**
 * Stage 2, the client's limit: raw produce and consume (no processing) and a transactional
 * consume→produce loop (sendOffsets inside the transaction, read_committed input) with kafkajs and
 * with @platformatic/kafka, same records, sizes and partitions as the broker stage. The runs
 * themselves exercise the features a runtime needs, so the verdict is what worked, not what the
 * documentation promises.
 */
import { randomUUID } from 'node:crypto';
import {
  FetchIsolationLevels,
  MessagesStreamModes,
  Consumer as PltConsumer,
  type Message as PltMessage,
  Producer as PltProducer,
  ProduceAcks,
} from '@platformatic/kafka';
import { CompressionTypes, type Producer as KjsProducer } from 'kafkajs';
import {
  benchKafka,
  createTopics,
  deleteGroups,
  deleteTopics,
  endOffsetTotal,
  uniqueTopic,
  withAdmin,
} from './kafka.js';
import type { SuiteOptions } from './options.js';
import { rawValue } from './payload.js';
import { median, round } from './stats.js';
import { type ClientVerdict, emptySection, type Measurement, type Section, settle } from './types.js';

const PRODUCE_BATCH = 1_000;
const IN_FLIGHT = 4;
const TXN_RECORDS = 2_000;

interface Timed {
  records: number;
  ms: number;
  transactions?: number;
}

const perSec = (t: Timed): number => (t.records * 1000) / t.ms;

/** Rejects after `ms`: a client that hangs (it happens) becomes a reported failure, not a stuck suite. */
async function withTimeout<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Cleanup that must not hang the suite or mask the real error. */
async function quietly(p: Promise<unknown>): Promise<void> {
  await withTimeout('cleanup', 10_000, p).catch(() => undefined);
}

/** close(force) through its callback form: the boolean overload is typed as returning void. */
function forceClose(client: { close(force: boolean, callback: (error?: Error | null) => void): void }): Promise<void> {
  return new Promise((resolve, reject) => client.close(true, (error) => (error ? reject(error) : resolve())));
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // platformatic wraps protocol errors in an AggregateError; the inner ones carry the broker's answer.
  const inner =
    err instanceof AggregateError ? err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))) : [];
  return [err.message, ...inner].join(': ');
}

/** Sends `total` records in batches with a few sends in flight, the way a runtime's sink would. */
async function pipelined(total: number, send: (count: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const count = Math.min(PRODUCE_BATCH, total - next);
      next += count;
      await send(count);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

function keyOf(i: number): string {
  return `k${i % 10_000}`;
}

// ---- kafkajs ---------------------------------------------------------------------------------

async function kafkajsProduce(o: SuiteOptions, topic: string): Promise<Timed> {
  const producer: KjsProducer = benchKafka(o.brokers, 'bench-kjs-producer').producer({
    allowAutoTopicCreation: false,
    maxInFlightRequests: IN_FLIGHT,
  });
  await producer.connect();
  const value = rawValue(o.recordBytes);
  let seq = 0;
  try {
    const t0 = performance.now();
    await pipelined(o.rawRecords, async (count) => {
      const messages = Array.from({ length: count }, () => ({ key: keyOf(seq++), value }));
      await producer.send({ topic, messages, acks: -1, compression: CompressionTypes.None });
    });
    return { records: o.rawRecords, ms: performance.now() - t0 };
  } finally {
    await producer.disconnect();
  }
}

async function kafkajsConsume(o: SuiteOptions, topic: string, total: number): Promise<Timed> {
  const groupId = `${topic}.kjs.${randomUUID().slice(0, 6)}`;
  const consumer = benchKafka(o.brokers, 'bench-kjs-consumer').consumer({
    groupId,
    readUncommitted: false,
    maxBytesPerPartition: 1_048_576,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    let t0 = 0;
    const ms = await new Promise<number>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            // The clock starts at the first record so the group join is excluded, like fetch.nMsg.sec.
            if (t0 === 0) t0 = performance.now();
            seen += batch.messages.length;
            if (seen >= total) resolve(performance.now() - t0);
          },
        })
        .catch(reject);
    });
    return { records: seen, ms };
  } finally {
    await consumer.disconnect();
    await deleteGroups(o.brokers, [groupId]);
  }
}

async function kafkajsTransactions(o: SuiteOptions, input: string, output: string, total: number): Promise<Timed> {
  const kafka = benchKafka(o.brokers, 'bench-kjs-txn');
  const groupId = `${input}.kjs-txn.${randomUUID().slice(0, 6)}`;
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    maxBytesPerPartition: 1_048_576,
    maxWaitTimeInMs: 100,
  });
  const producer = kafka.producer({ transactionalId: `${groupId}.tx`, idempotent: true, maxInFlightRequests: 1 });
  await Promise.all([consumer.connect(), producer.connect()]);
  let transactions = 0;
  try {
    await consumer.subscribe({ topic: input, fromBeginning: true });
    let seen = 0;
    let t0 = 0;
    const ms = await new Promise<number>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (t0 === 0) t0 = performance.now();
            for (let start = 0; start < batch.messages.length; start += TXN_RECORDS) {
              const chunk = batch.messages.slice(start, start + TXN_RECORDS);
              const last = chunk[chunk.length - 1]!;
              const txn = await producer.transaction();
              try {
                await txn.send({ topic: output, messages: chunk.map((m) => ({ key: m.key, value: m.value })) });
                await txn.sendOffsets({
                  consumerGroupId: groupId,
                  topics: [
                    {
                      topic: batch.topic,
                      partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }],
                    },
                  ],
                });
                await txn.commit();
              } catch (err: unknown) {
                await txn.abort();
                throw err;
              }
              transactions++;
              seen += chunk.length;
            }
            if (seen >= total) resolve(performance.now() - t0);
          },
        })
        .catch(reject);
    });
    return { records: seen, ms, transactions };
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await deleteGroups(o.brokers, [groupId]);
  }
}

// ---- @platformatic/kafka ----------------------------------------------------------------------

async function platformaticProduce(o: SuiteOptions, topic: string): Promise<Timed> {
  const producer = new PltProducer({
    clientId: 'bench-plt-producer',
    bootstrapBrokers: o.brokers,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
  });
  const value = rawValue(o.recordBytes);
  let seq = 0;
  try {
    const t0 = performance.now();
    await pipelined(o.rawRecords, async (count) => {
      const messages = Array.from({ length: count }, () => ({ topic, key: Buffer.from(keyOf(seq++)), value }));
      await producer.send({ messages });
    });
    return { records: o.rawRecords, ms: performance.now() - t0 };
  } finally {
    await producer.close();
  }
}

function pltConsumer(o: SuiteOptions, groupId: string): PltConsumer {
  return new PltConsumer({
    clientId: 'bench-plt-consumer',
    groupId,
    bootstrapBrokers: o.brokers,
    autocommit: false,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    maxBytes: 8 * 1_048_576,
    maxBytesPerPartition: 1_048_576,
    // Defaults (1024-message stream buffer, 5 s fetch wait) cap it near 20k records/s here; with
    // these it reaches kafkajs' range, so the comparison is of tuned clients, not of defaults.
    maxWaitTime: 100,
    highWaterMark: 16_384,
  });
}

async function platformaticConsume(o: SuiteOptions, topic: string, total: number): Promise<Timed> {
  const groupId = `${topic}.plt.${randomUUID().slice(0, 6)}`;
  const consumer = pltConsumer(o, groupId);
  try {
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST });
    let seen = 0;
    let t0 = 0;
    const ms = await new Promise<number>((resolve, reject) => {
      stream.on('error', reject);
      stream.on('data', () => {
        if (t0 === 0) t0 = performance.now();
        seen++;
        if (seen === total) resolve(performance.now() - t0);
      });
    });
    await quietly(stream.close());
    return { records: seen, ms };
  } finally {
    await quietly(forceClose(consumer));
    await deleteGroups(o.brokers, [groupId]);
  }
}

async function platformaticTransactions(o: SuiteOptions, input: string, output: string, total: number): Promise<Timed> {
  const groupId = `${input}.plt-txn.${randomUUID().slice(0, 6)}`;
  const consumer = pltConsumer(o, groupId);
  const producer = new PltProducer({
    clientId: 'bench-plt-txn',
    bootstrapBrokers: o.brokers,
    transactionalId: `${groupId}.tx`,
    idempotent: true,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
  });
  let transactions = 0;
  try {
    const stream = await consumer.consume({ topics: [input], mode: MessagesStreamModes.EARLIEST });
    let seen = 0;
    let t0 = 0;
    let buffer: PltMessage[] = [];
    const flush = async (): Promise<void> => {
      const chunk = buffer;
      buffer = [];
      const txn = await producer.beginTransaction();
      try {
        await txn.addConsumer(consumer);
        await txn.send({ messages: chunk.map((m) => ({ topic: output, key: m.key, value: m.value })) });
        // One offset per partition: the last message of each partition in the chunk.
        const lastPerPartition = new Map<number, PltMessage>();
        for (const m of chunk) lastPerPartition.set(m.partition, m);
        for (const m of lastPerPartition.values()) await txn.addOffset(m);
        await txn.commit();
      } catch (err: unknown) {
        await quietly(txn.abort());
        throw err;
      }
      transactions++;
      seen += chunk.length;
    };
    for await (const message of stream) {
      if (t0 === 0) t0 = performance.now();
      buffer.push(message as PltMessage);
      if (buffer.length >= TXN_RECORDS || seen + buffer.length >= total) await flush();
      if (seen >= total) break;
    }
    const ms = performance.now() - t0;
    await quietly(stream.close());
    return { records: seen, ms, transactions };
  } finally {
    await quietly(forceClose(consumer));
    await quietly(forceClose(producer));
    await deleteGroups(o.brokers, [groupId]);
  }
}

/**
 * Feature checks on the real broker, beyond throughput: read_committed must hide an aborted
 * transaction's record, and a manual commit in a consumer group must reach the group coordinator.
 */
async function platformaticFeatures(
  o: SuiteOptions,
): Promise<{ readCommitted: boolean; manualCommit: boolean; detail: string }> {
  const topic = uniqueTopic('clients-features');
  const groupId = `${topic}.plt`;
  await createTopics(o.brokers, [topic], 1);
  const kafka = benchKafka(o.brokers, 'bench-features');
  const tx = kafka.producer({ transactionalId: `${topic}.tx`, idempotent: true, maxInFlightRequests: 1 });
  const consumer = pltConsumer(o, groupId);
  try {
    await tx.connect();
    const aborted = await tx.transaction();
    await aborted.send({ topic, messages: [{ value: 'aborted' }] });
    await aborted.abort();
    const committed = await tx.transaction();
    await committed.send({ topic, messages: [{ value: 'committed' }] });
    await committed.commit();
    await tx.disconnect();

    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST });
    const seen: string[] = [];
    const last = await withTimeout(
      'read_committed check',
      30_000,
      new Promise<PltMessage>((resolve) => {
        stream.on('data', (m: PltMessage) => {
          seen.push(m.value.toString());
          if (m.value.toString() === 'committed') resolve(m);
        });
      }),
    );
    await last.commit();
    await quietly(stream.close());
    const offsets = await withAdmin(o.brokers, (admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
    const committedOffset = Number(offsets[0]?.partitions[0]?.offset ?? -1);
    return {
      readCommitted: !seen.includes('aborted'),
      manualCommit: committedOffset === Number(last.offset) + 1,
      detail: `read_committed saw [${seen.join(', ')}]; group offset after manual commit ${committedOffset} (expected ${Number(last.offset) + 1})`,
    };
  } finally {
    await quietly(forceClose(consumer));
    await deleteTopics(o.brokers, [topic]);
    await deleteGroups(o.brokers, [groupId]);
  }
}

// ---- stage -----------------------------------------------------------------------------------

type Client = 'kafkajs' | 'platformatic';
type Op = 'produce' | 'consume' | 'transactions';

export async function runClientStage(o: SuiteOptions): Promise<Section & { verdict?: ClientVerdict }> {
  const section: Section & { verdict?: ClientVerdict } = emptySection();
  const runs = new Map<string, Timed[]>();
  const errors = new Map<string, string>();
  // Generous: 1M records at a pessimistic 5k/s on a loaded machine.
  // Records found on the topic after each produce run: more than sent means duplicates from retries.
  const onTopic = new Map<Client, number[]>();
  const opTimeoutMs = Math.max(60_000, o.rawRecords / 5);
  const record = (client: Client, op: Op, t: Timed): void => {
    const k = `${client}.${op}`;
    runs.set(k, [...(runs.get(k) ?? []), t]);
  };
  const attempt = async (client: Client, op: Op, fn: () => Promise<Timed>): Promise<void> => {
    const k = `${client}.${op}`;
    if (errors.has(k)) return;
    try {
      record(client, op, await withTimeout(k, opTimeoutMs, fn()));
    } catch (err: unknown) {
      errors.set(k, describe(err));
    }
  };

  for (let i = 0; i < o.repeats; i++) {
    // Alternate which client goes first so neither always gets the warmer page cache.
    const order: Client[] = i % 2 === 0 ? ['kafkajs', 'platformatic'] : ['platformatic', 'kafkajs'];
    for (const client of order) {
      const input = uniqueTopic(`clients-${client}`);
      const output = uniqueTopic(`clients-${client}-out`);
      await createTopics(o.brokers, [input, output], o.partitions);
      try {
        await attempt(client, 'produce', () =>
          client === 'kafkajs' ? kafkajsProduce(o, input) : platformaticProduce(o, input),
        );
        const total = await endOffsetTotal(o.brokers, input);
        onTopic.set(client, [...(onTopic.get(client) ?? []), total]);
        if (total < o.rawRecords) continue;
        await attempt(client, 'consume', () =>
          client === 'kafkajs' ? kafkajsConsume(o, input, total) : platformaticConsume(o, input, total),
        );
        const txnTotal = Math.min(total, o.txnRecords);
        await attempt(client, 'transactions', () =>
          client === 'kafkajs'
            ? kafkajsTransactions(o, input, output, txnTotal)
            : platformaticTransactions(o, input, output, txnTotal),
        );
      } finally {
        await deleteTopics(o.brokers, [input, output]);
      }
    }
  }

  const base = { records: o.rawRecords, recordBytes: o.recordBytes, partitions: o.partitions, keyBytes: '<=6' };
  const condition: Record<Op, Record<string, string | number>> = {
    produce: { ...base, acks: 'all', compression: 'none', batch: PRODUCE_BATCH, inFlight: IN_FLIGHT },
    consume: {
      ...base,
      isolation: 'read_committed',
      processing: 'none',
      maxWaitMs: 100,
      platformaticHighWaterMark: 16_384,
      clock: 'first record to last (group join excluded)',
    },
    transactions: {
      ...base,
      records: o.txnRecords,
      isolation: 'read_committed',
      recordsPerTransaction: TXN_RECORDS,
      offsets: 'sent in transaction',
      clock: 'first record to last commit',
    },
  };
  for (const client of ['kafkajs', 'platformatic'] as const) {
    for (const op of ['produce', 'consume', 'transactions'] as const) {
      const k = `${client}.${op}`;
      const r = runs.get(k) ?? [];
      if (r.length === 0) {
        section.unavailable.push({ name: k, reason: errors.get(k) ?? 'did not run' });
        continue;
      }
      const m: Measurement = {
        name: k,
        metric: 'throughput',
        unit: 'records/s',
        median: round(median(r.map(perSec))),
        runs: r.map((t) => round(perSec(t))),
        conditions: { ...condition[op], client: client === 'kafkajs' ? 'kafkajs 2.2.4' : '@platformatic/kafka 1.35.0' },
      };
      if (op === 'transactions') m.extra = { transactions: median(r.map((t) => t.transactions ?? 0)) };
      if (op === 'produce') {
        const written = onTopic.get(client) ?? [];
        m.extra = { recordsOnTopic: Math.max(...written) };
        if (written.some((w) => w !== o.rawRecords)) {
          m.note = `records on topic after produce runs: ${written.join(', ')} for ${o.rawRecords} sent (not idempotent: retries duplicate)`;
        }
      }
      if (errors.has(k)) m.note = `a later run failed: ${errors.get(k)}`;
      section.measurements.push(m);
    }
  }
  let features: Awaited<ReturnType<typeof platformaticFeatures>> | undefined;
  try {
    features = await platformaticFeatures(o);
  } catch (err: unknown) {
    errors.set('platformatic.features', describe(err));
  }
  section.verdict = verdictOf(section.measurements, errors, features);
  settle(section);
  return section;
}

function verdictOf(
  ms: Measurement[],
  errors: Map<string, string>,
  checked: { readCommitted: boolean; manualCommit: boolean; detail: string } | undefined,
): ClientVerdict {
  const get = (k: string): number | undefined => ms.find((m) => m.name === k)?.median;
  const ratios: Record<string, number | null> = {};
  for (const op of ['produce', 'consume', 'transactions']) {
    const a = get(`kafkajs.${op}`);
    const b = get(`platformatic.${op}`);
    ratios[op] = a && b ? round(b / a, 2) : null;
  }
  const known = Object.values(ratios).filter((r): r is number => r !== null);
  // "Clearly" = at least 1.5x on every operation measured; a 10-20% edge is within this machine's noise.
  const clearlyFaster = known.length === 0 ? null : known.every((r) => r >= 1.5);
  const features = {
    consumerGroupManualCommit: checked?.manualCommit ?? false,
    transactionsWithSendOffsets:
      get('platformatic.transactions') !== undefined && !errors.has('platformatic.transactions'),
    readCommitted: checked?.readCommitted ?? false,
  };
  const parts = Object.entries(ratios).map(([op, r]) => `${op} ${r === null ? 'n/a' : `${r}x`}`);
  const gaps = Object.entries(features)
    .filter(([, ok]) => !ok)
    .map(([f]) => f);
  const why = [errors.get('platformatic.transactions'), errors.get('platformatic.features'), checked?.detail].filter(
    (x) => x !== undefined,
  );
  return {
    platformaticOverKafkajs: ratios,
    clearlyFaster,
    features,
    summary:
      `@platformatic/kafka vs kafkajs: ${parts.join(', ')}; ${clearlyFaster ? 'clearly faster' : 'not clearly faster'} (threshold 1.5x on every operation); ` +
      `runtime needs ${gaps.length === 0 ? 'all met' : `NOT met: ${gaps.join(', ')}`}${why.length ? ` (${why.join('; ')})` : ''}`,
  };
}
