/**
 * Bad input on metrics.raw against the real ingest (StreamsApp, exactly-once, real broker and
 * registry): a seeded corpus of random bytes, truncated Avro, unknown schema ids, a 10 MB payload,
 * NaN/Infinity/negative/unit-mismatched values, timestamps far in the future or past, malformed
 * and deeply nested JSON, duplicates, out-of-order samples and a burst of brand-new hosts, with
 * good samples interleaved. Every item must be accounted for: dead-lettered with a reason, refused
 * by the broker, or on the output exactly as often as sent; the app must not crash and its heap
 * must stay bounded. FUZZ_NEW_HOSTS / FUZZ_PER_KIND scale it up (long form: 100k hosts).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Message, Partitioners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostSample } from '../../schemas/records/host-sample.js';
import { buildMetricIngestTopology } from '../../streams/processors/metric-ingest/topology.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { chunkMessages } from '../../streams/runtime/send-chunks.js';
import { avroSerde } from '../../streams/runtime/serdes.js';
import { StreamsApp } from '../../streams/runtime/streams-app.js';
import { recordFigure } from '../reliability/support/figures.js';
import { cleanupApp, sleep } from '../streams/fixtures/streams-helpers.js';
import { brokers, createTopics, registryUrl, testKafka, uniqueName, withAdmin } from '../support/kafka.js';
import { buildCorpus, type FuzzItem } from './corpus.js';

const NEW_HOSTS = Number(process.env.FUZZ_NEW_HOSTS ?? '5000');
const PER_KIND = Number(process.env.FUZZ_PER_KIND ?? '10');
const schemaPath = fileURLToPath(new URL('../../schemas/host-sample.avsc', import.meta.url));

describe('bad input on metrics.raw', () => {
  const prefix = uniqueName('fuzz');
  const raw = `${prefix}.raw`;
  const samples = `${prefix}.samples`;
  const appId = `${prefix}-app`.replace(/^test\./, 'test-');
  const hostPrefix = `fz${prefix.split('.').pop()}`;
  let app: StreamsApp | undefined;
  let dir = '';

  afterAll(async () => {
    await app?.close().catch(() => undefined);
    await cleanupApp(appId, [raw, samples]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'dead-letters or refuses every bad item with a reason, passes every good one, stays up and bounded',
    async () => {
      await createTopics([
        { topic: raw, numPartitions: 3 },
        { topic: samples, numPartitions: 3 },
      ]);
      dir = await mkdtemp(join(tmpdir(), 'fuzz-'));
      const serde = avroSerde<HostSample>({ schemaPath });
      const connection = { ...loadConnection(), brokers: brokers(), registryUrl: registryUrl() };
      let crashed: unknown;
      app = new StreamsApp(
        buildMetricIngestTopology({ applicationId: appId, inputTopic: raw, outputTopic: samples, sampleSerde: serde }),
        { guarantee: 'exactly-once', connection, stateDir: join(dir, 'state'), tickMs: 200 },
      );
      await app.start().catch((err: unknown) => {
        crashed = err;
      });

      const now = Date.now();
      const corpus = await buildCorpus({
        seed: 20_261_123,
        prefix: hostPrefix,
        now,
        perKind: PER_KIND,
        newHosts: NEW_HOSTS,
        avro: async (s) => serde.serialize(samples, s as unknown as HostSample),
      });
      const byId = new Map(corpus.map((c) => [c.id, c]));
      global.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;

      const producer = testKafka('fuzz-producer').producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      const brokerRefused = new Map<string, string>();
      const message = (c: FuzzItem): Message => ({ key: c.key, value: c.value, headers: { 'x-fuzz-id': c.id } });
      const send = async (batch: FuzzItem[]) => producer.send({ topic: raw, acks: -1, messages: batch.map(message) });
      // In the runtime's own produce chunks (count and bytes): one produce request carries one record
      // batch per partition, and a batch holding the 900 kB item plus its neighbours would exceed
      // the broker's limit.
      const small = corpus.filter((c) => c.expected !== 'broker-refused').map(message);
      for (const topicMessages of chunkMessages(new Map([[raw, small]])))
        await producer.sendBatch({ topicMessages, acks: -1 });
      for (const c of corpus.filter((x) => x.expected === 'broker-refused')) {
        try {
          await send([c]);
        } catch (err: unknown) {
          const e = err as { type?: string; message?: string };
          brokerRefused.set(c.id, e.type ?? e.message ?? 'refused');
        }
      }
      await producer.disconnect();

      // Read the output and both dead-letter topics (raw, and the repartition step) until every
      // item is accounted for.
      const dlqTopics = await withAdmin(async (a) =>
        (await a.listTopics()).filter((t) => t === `${raw}.dlq` || (t.startsWith(appId) && t.endsWith('.dlq'))),
      );
      const expectedOut = new Map<string, number>();
      for (const c of corpus)
        if (c.expected === 'output') expectedOut.set(c.host!, (expectedOut.get(c.host!) ?? 0) + 1);
      const wantOut = [...expectedOut.values()].reduce((a, b) => a + b, 0);
      const wantDlq = corpus.filter((c) => c.expected === 'dead-letter').length;
      const outCount = new Map<string, number>();
      const dlq = new Map<string, { reason: string; error: string }>();
      let outTotal = 0;
      let strayOutput = 0;
      const consumer = testKafka('fuzz-reader').consumer({ groupId: `fuzz-${randomUUID()}`, readUncommitted: false });
      await consumer.connect();
      await consumer.subscribe({ topics: [samples, ...dlqTopics], fromBeginning: true });
      let peakHeap = heapBefore;
      const sampler = setInterval(() => {
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      }, 250);
      await consumer.run({
        eachMessage: async ({ topic, message }) => {
          if (topic === samples) {
            const s = await serde.deserialize(samples, message.value!);
            if (!expectedOut.has(s.host)) strayOutput++;
            outCount.set(s.host, (outCount.get(s.host) ?? 0) + 1);
            outTotal++;
          } else {
            const h = (name: string) => message.headers?.[name]?.toString() ?? '';
            dlq.set(h('x-fuzz-id') || `${topic}:${message.offset}`, {
              reason: h('x-dlq-reason'),
              error: h('x-dlq-error'),
            });
          }
        },
      });
      const deadline = Date.now() + 200_000;
      while ((outTotal < wantOut || dlq.size < wantDlq) && Date.now() < deadline && crashed === undefined)
        await sleep(500);
      // Give a stray duplicate the chance to appear before judging.
      await sleep(2_000);
      console.log(
        `fuzz: output ${outTotal}/${wantOut}, dead letters ${dlq.size}/${wantDlq}, dlq topics ${dlqTopics.join(',')}`,
      );
      clearInterval(sampler);
      await consumer.disconnect();
      global.gc?.();
      const heapAfter = process.memoryUsage().heapUsed;

      expect(crashed).toBeUndefined();
      const perKind = new Map<
        string,
        { sent: number; deadLettered: number; output: number; brokerRefused: number; reasons: Set<string> }
      >();
      for (const c of corpus) {
        const k = perKind.get(c.kind) ?? {
          sent: 0,
          deadLettered: 0,
          output: 0,
          brokerRefused: 0,
          reasons: new Set<string>(),
        };
        k.sent++;
        const d = dlq.get(c.id);
        if (d) {
          k.deadLettered++;
          k.reasons.add(d.error.replace(/[0-9a-f-]{8,}|\d{4,}/g, '…').slice(0, 90));
          expect(d.error.length, c.id).toBeGreaterThan(0);
        }
        if (brokerRefused.has(c.id)) k.brokerRefused++;
        perKind.set(c.kind, k);
      }
      // A map, not a search per host: the long form has 100k new hosts.
      const kindOfHost = new Map<string, string>();
      for (const c of corpus) if (c.host && !kindOfHost.has(c.host)) kindOfHost.set(c.host, c.kind);
      for (const [host, n] of outCount) {
        const kind = kindOfHost.get(host);
        if (kind) perKind.get(kind)!.output += n;
      }
      const table = [...perKind].map(([kind, k]) => ({ kind, ...k, reasons: [...k.reasons].slice(0, 2) }));
      console.table(table.map((t) => ({ ...t, reasons: t.reasons.join(' | ') })));
      recordFigure('fuzz-ingest', {
        newHosts: NEW_HOSTS,
        perKind: PER_KIND,
        heapBefore,
        heapAfter,
        peakHeap,
        kinds: table,
      });

      // Every bad item is dead-lettered with a reason (and nothing else is).
      for (const c of corpus.filter((x) => x.expected === 'dead-letter'))
        expect(dlq.has(c.id), `${c.id} dead-lettered`).toBe(true);
      for (const id of dlq.keys())
        expect(byId.get(id)?.expected, `${id} should not be dead-lettered`).toBe('dead-letter');
      expect(dlq.size).toBe(wantDlq);
      // The oversized payload never reached the pipeline.
      expect([...brokerRefused.values()]).toEqual(['MESSAGE_TOO_LARGE']);
      // Every good sample (duplicates, out-of-order and the new-host burst included) exactly as often as sent.
      expect(strayOutput).toBe(0);
      expect(outCount).toEqual(expectedOut);
      // Memory stays bounded: the heap of this process (app + test) grows far less than the input.
      expect(heapAfter - heapBefore).toBeLessThan(256 * 1024 * 1024);
    },
    Number(process.env.RELIABILITY_TIMEOUT_MS ?? '420000'),
  );
});
