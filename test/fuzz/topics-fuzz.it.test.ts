/**
 * Bad input on every input topic, against every app that reads it (real broker and registry, all
 * apps in this process, exactly-once; see pipeline-harness.ts). Each topic gets one pass of a
 * seeded corpus (topic-corpus.ts): format garbage, wrong-schema records, bad keys, absurd values,
 * payloads just under and over the broker's limit, with good records interleaved and one last.
 * For every (record, consumer) pair the test finds what became of it — dead-lettered with a
 * reason, refused by the broker, skipped with a logged reason (the API's read-only views),
 * processed (its effect seen downstream or in the app's state), or not the consumer's business —
 * and fails on silence, on a garbage record processed as if valid, on a good record lost, on any
 * crash, and on unbounded memory. FUZZ_TOPIC_PER_KIND scales the corpus (CI default 1; long form
 * e.g. 5), FUZZ_TOPIC_SETTLE_MS bounds the wait, FUZZ_LOG_LEVEL=info shows the apps' logs in the
 * figures. (metrics.raw, the ingest's input, has its own corpus in ingest-fuzz.it.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Partitioners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { recordFigure } from '../reliability/support/figures.js';
import { sleep } from '../streams/fixtures/streams-helpers.js';
import { testKafka } from '../support/kafka.js';
import { type ConsumerSpec, FUZZ_HEADER, FuzzPipeline } from './pipeline-harness.js';
import { buildTopicCorpus, type TopicFuzzItem } from './topic-corpus.js';
import { TOPIC_RECORDS } from './topic-records.js';

const PER_KIND = Number(process.env.FUZZ_TOPIC_PER_KIND ?? '1');
/** How long to wait for every record to be accounted for once all are sent. */
const SETTLE_MS = Number(process.env.FUZZ_TOPIC_SETTLE_MS ?? '60000');

type Fate = 'dead-lettered' | 'broker-refused' | 'skipped-logged' | 'processed' | 'not-its-business' | 'silent';

const ALLOWED: Record<TopicFuzzItem['expect'], Fate[]> = {
  refuse: ['broker-refused'],
  // not-its-business: only a view's tombstone (see `fate`).
  reject: ['dead-lettered', 'skipped-logged', 'not-its-business'],
  accept: ['processed', 'not-its-business'],
  either: ['dead-lettered', 'skipped-logged', 'processed', 'not-its-business'],
};

describe('bad input on every input topic', () => {
  const pipeline = new FuzzPipeline(randomUUID().slice(0, 8));

  afterAll(async () => {
    await pipeline.close();
  }, 120_000);

  it('dead-letters, refuses or logs every bad record with a reason, processes every good one, stays up', async () => {
    const t0 = Date.now();
    await pipeline.start();
    const started = Date.now();
    const maxMessageBytes = await pipeline.maxMessageBytes();
    const now = Date.now();
    const tag = randomUUID().slice(0, 6);
    const corpus: TopicFuzzItem[] = [];
    for (const [i, spec] of TOPIC_RECORDS.entries()) {
      corpus.push(
        ...(await buildTopicCorpus(spec, {
          seed: 20_261_124 + i,
          tag: `${tag}${i.toString(36)}x`,
          now,
          perKind: PER_KIND,
          maxMessageBytes,
          avro: (topic, value) => pipeline.encode(topic, value),
        })),
      );
    }
    const built = Date.now();
    const loop = monitorEventLoopDelay({ resolution: 20 });
    loop.enable();
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let peakHeap = heapBefore;
    const sampler = setInterval(() => {
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }, 250);

    // One pass per topic, in corpus order; small records batched, big ones alone, offsets kept
    // (one partition: the batch's base offset + position) for dead letters that carry no header.
    const offsets = new Map<string, string>();
    const refused = new Map<string, string>();
    const producer = testKafka('fuzz-topics-producer').producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const sendTopic = async (items: TopicFuzzItem[]): Promise<void> => {
      let batch: TopicFuzzItem[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const sent = batch;
        batch = [];
        try {
          const meta = await producer.send({
            topic: pipeline.actual(sent[0]!.topic),
            acks: -1,
            // An explicit partition: kafkajs' murmur2 partitioner needs ~2 s of CPU for a 100 kB key.
            messages: sent.map((c) => ({ key: c.key, value: c.value, partition: 0, headers: { [FUZZ_HEADER]: c.id } })),
          });
          const base = BigInt(meta[0]!.baseOffset ?? '0');
          for (const [j, c] of sent.entries()) offsets.set(c.id, (base + BigInt(j)).toString());
        } catch (err: unknown) {
          const e = err as { type?: string; message?: string };
          for (const c of sent) refused.set(c.id, e.type ?? e.message ?? 'refused');
        }
      };
      for (const item of items) {
        const big = (item.value?.length ?? 0) + (item.key?.length ?? 0) > 64 * 1024;
        if (big) await flush();
        batch.push(item);
        if (big) await flush();
      }
      await flush();
    };
    await Promise.all(TOPIC_RECORDS.map((t) => sendTopic(corpus.filter((c) => c.topic === t.topic))));
    await producer.disconnect();
    const sent = Date.now();

    const byActual = new Map(TOPIC_RECORDS.map((t) => [pipeline.actual(t.topic), t.topic]));
    const fate = async (item: TopicFuzzItem, c: ConsumerSpec): Promise<{ fate: Fate; reason?: string }> => {
      if (refused.has(item.id)) return { fate: 'broker-refused', reason: refused.get(item.id) };
      const offset = offsets.get(item.id);
      const actual = pipeline.actual(item.topic);
      const dl = pipeline.deadLetters.find(
        (d) =>
          c.dlqBy.includes(d.by) &&
          (d.fuzzId === item.id || (d.fuzzId === undefined && d.sourceTopic === actual && d.sourceOffset === offset)),
      );
      if (dl) return { fate: 'dead-lettered', reason: `${dl.reason}: ${dl.error}` };
      const skip = pipeline.viewSkips.get(`${actual}@${offset}`);
      if (c.via === 'view' && skip) return { fate: 'skipped-logged', reason: skip.error };
      // The views replay topics as tables: a null value is a tombstone to them (applied or skipped
      // by design); dead-lettering event topics' nulls is the job of the topics' real consumers.
      if (c.via === 'view' && item.value === null) return { fate: 'not-its-business' };
      if (await c.effect(item)) return { fate: 'processed' };
      if (item.fields !== undefined && !c.relevant(item)) return { fate: 'not-its-business' };
      return { fate: 'silent' };
    };
    const pairs = corpus.flatMap((item) =>
      pipeline.consumers.filter((c) => c.topics.includes(item.topic)).map((c) => ({ item, c })),
    );
    const unsettled = async (): Promise<number> => {
      let n = 0;
      for (const { item, c } of pairs) {
        const f = (await fate(item, c)).fate;
        // Garbage "processed" may still be dead-lettered by a later stage: wait for that too.
        if (f === 'silent' || (f === 'processed' && item.expect === 'reject')) n++;
      }
      return n;
    };
    const deadline = Date.now() + SETTLE_MS;
    while ((await unsettled()) > 0 && Date.now() < deadline) await sleep(500);
    // A stray dead letter or a late duplicate gets a moment to show before judging.
    await sleep(1_500);
    clearInterval(sampler);
    loop.disable();
    global.gc?.();
    const heapAfter = process.memoryUsage().heapUsed;
    const settled = Date.now();

    // Per topic × kind: what happened, per consumer.
    const rows = new Map<
      string,
      { topic: string; kind: string; sent: number; fates: Map<string, number>; reasons: Set<string> }
    >();
    const violations: string[] = [];
    for (const { item, c } of pairs) {
      const f = await fate(item, c);
      const key = `${item.topic}|${item.kind}`;
      const row = rows.get(key) ?? {
        topic: item.topic,
        kind: item.kind,
        sent: 0,
        fates: new Map(),
        reasons: new Set(),
      };
      row.fates.set(`${c.name}:${f.fate}`, (row.fates.get(`${c.name}:${f.fate}`) ?? 0) + 1);
      if (f.reason) row.reasons.add(f.reason.replace(/\d{4,}|[0-9a-f]{8,}/g, '…').slice(0, 100));
      rows.set(key, row);
      if (!ALLOWED[item.expect].includes(f.fate)) violations.push(`${item.id} → ${c.name}: ${f.fate}`);
      if (f.fate === 'dead-lettered' && !/: \S/.test(f.reason ?? ''))
        violations.push(`${item.id} → ${c.name}: no reason`);
    }
    for (const item of corpus) {
      const row = rows.get(`${item.topic}|${item.kind}`);
      if (row) row.sent++;
    }
    // Dead letters of records that are not in the corpus: app-internal records gone wrong.
    const known = new Set(corpus.map((c) => c.id));
    const stray = pipeline.deadLetters.filter(
      (d) =>
        d.fuzzId === undefined &&
        !corpus.some((c) => pipeline.actual(c.topic) === d.sourceTopic && offsets.get(c.id) === d.sourceOffset),
    );
    const foreign = pipeline.deadLetters.filter((d) => d.fuzzId !== undefined && !known.has(d.fuzzId));
    const counted = await pipeline.deadLetterCounts();
    const viewErrors: string[] = [];
    try {
      pipeline.queryViews();
    } catch (err: unknown) {
      viewErrors.push(String(err));
    }
    const crashes = pipeline.crashes();
    const logCounts = new Map<string, number>();
    for (const l of pipeline.logs) {
      // The error text only where it tells failures apart (crashes, failed commits), not per record.
      const detail = /crash|runtime error|commit failed|punctuator/i.test(l.msg) ? ` — ${l.error.slice(0, 160)}` : '';
      const k = `${l.app}: ${l.msg}${detail}`;
      logCounts.set(k, (logCounts.get(k) ?? 0) + 1);
    }
    console.log([...logCounts].map(([k, n]) => `${n}× ${k}`).join('\n'));

    const table = [...rows.values()].map((r) => ({
      topic: r.topic,
      kind: r.kind,
      sent: r.sent,
      outcome: [...r.fates].map(([k, n]) => `${k}×${n}`).join(' '),
      reasons: [...r.reasons].slice(0, 2).join(' | '),
    }));
    // Per kind across topics here; per topic × kind in the figures file.
    const byKind = new Map<string, { kind: string; topics: number; sent: number; outcome: Map<string, number> }>();
    for (const r of rows.values()) {
      const k = byKind.get(r.kind) ?? { kind: r.kind, topics: 0, sent: 0, outcome: new Map<string, number>() };
      k.topics++;
      k.sent += r.sent;
      for (const [name, n] of r.fates) {
        const f = name.slice(name.indexOf(':') + 1);
        k.outcome.set(f, (k.outcome.get(f) ?? 0) + n);
      }
      byKind.set(r.kind, k);
    }
    console.table(
      [...byKind.values()].map((k) => ({
        ...k,
        outcome: [...k.outcome].map(([f, n]) => `${f} ${n}`).join(', '),
      })),
    );
    const timing = {
      startMs: started - t0,
      buildMs: built - started,
      sendMs: sent - built,
      settleMs: settled - sent,
      totalMs: settled - t0,
    };
    console.log(
      `fuzz topics: ${corpus.length} records, ${pairs.length} record×consumer pairs, ${pipeline.deadLetters.length} dead letters, ` +
        `${violations.length} violations, heap ${Math.round(heapBefore / 1e6)} → peak ${Math.round(peakHeap / 1e6)} → ${Math.round(heapAfter / 1e6)} MB, ${JSON.stringify(timing)}`,
    );
    recordFigure('fuzz-topics', {
      perKind: PER_KIND,
      records: corpus.length,
      pairs: pairs.length,
      deadLetters: pipeline.deadLetters.length,
      deadLettersCounted: Object.fromEntries(counted),
      violations,
      crashes: crashes.length,
      logs: Object.fromEntries(logCounts),
      viewErrors,
      heapBefore,
      heapAfter,
      peakHeap,
      timing,
      // The longest the shared event loop (all apps) was blocked: a stall is a hostile-input cost.
      eventLoopMaxMs: Math.round(loop.max / 1e6),
      rows: table,
    });

    // No app crashed or stopped; every read-model query still answers.
    expect(crashes.map((l) => `${l.app}: ${l.msg} ${l.error}`)).toEqual([]);
    expect(viewErrors).toEqual([]);
    // Every record went where it must, with a reason when it was turned away.
    expect(violations).toEqual([]);
    expect(stray.map((d) => `${d.by} ${d.sourceTopic}@${d.sourceOffset}: ${d.error}`)).toEqual([]);
    expect(foreign.map((d) => `${d.by} ${byActual.get(d.sourceTopic) ?? d.sourceTopic}: ${d.error}`)).toEqual([]);
    // Counted: each app's dead-letter metric covers the dead letters it wrote.
    for (const [app, n] of counted) {
      const written = pipeline.deadLetters.filter((d) => d.by === app).length;
      expect(n, app).toBeGreaterThanOrEqual(written);
    }
    // Memory stays bounded (all apps and the test share this heap; the corpus holds ~20 MB of payloads).
    expect(heapAfter - heapBefore).toBeLessThan(256 * 1024 * 1024);
  }, 300_000);
});
