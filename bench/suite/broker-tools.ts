/**
 * Stage 1, the broker's limit: Apache Kafka's own ProducerPerformance and ConsumerPerformance from
 * the same jars the local stack runs, on a topic with the suite's partition count and record
 * size. Whatever a Node client or engine reaches is read against these ceilings.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTopics, deleteTopics, uniqueTopic } from './kafka.js';
import type { SuiteOptions } from './options.js';
import { median, round } from './stats.js';
import { emptySection, type Measurement, type Section, settle } from './types.js';

const run = promisify(execFile);

/** The Kafka version the local stack runs (stack/stack.sh, same override variable). */
export function kafkaVersion(): string {
  return process.env.FORESHADOW_KAFKA_VERSION ?? '4.1.1';
}

export function kafkaLibs(): string {
  return process.env.KAFKA_LIBS ?? join(homedir(), `.cache/foreshadow/kafka-${kafkaVersion()}/libs`);
}

async function java(mainClass: string, args: string[], timeoutMs: number): Promise<string> {
  const { stdout } = await run('java', ['-Xmx1g', '-cp', `${kafkaLibs()}/*`, mainClass, ...args], {
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, KAFKA_LOG4J_OPTS: '' },
  });
  return stdout;
}

/** Last summary line of ProducerPerformance: "N records sent, X records/sec (Y MB/sec), ... ms avg latency, ..." */
export function parseProducerPerformance(out: string): {
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  p99Ms: number;
} {
  const line = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => /records sent/.test(l) && /99th/.test(l));
  const m = line && /([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency.*?(\d+) ms 99th/.exec(line);
  if (!m) throw new Error(`unexpected ProducerPerformance output: ${out.slice(-400)}`);
  return { recordsPerSec: Number(m[1]), mbPerSec: Number(m[2]), avgLatencyMs: Number(m[3]), p99Ms: Number(m[4]) };
}

/**
 * ConsumerPerformance CSV (--show-detailed-stats off): start.time, end.time, data.consumed.in.MB,
 * MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec,
 * fetch.nMsg.sec. The fetch.* figures exclude the group join, as the client figures do.
 */
export function parseConsumerPerformance(out: string): {
  records: number;
  fetchRecordsPerSec: number;
  fetchMbPerSec: number;
  rebalanceMs: number;
} {
  const line = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => /^\d{4}-\d\d-\d\d/.test(l.trim()));
  const cols = line?.split(',').map((c) => c.trim());
  if (!cols || cols.length < 10) throw new Error(`unexpected ConsumerPerformance output: ${out.slice(-400)}`);
  return {
    records: Number(cols[4]),
    rebalanceMs: Number(cols[6]),
    fetchMbPerSec: Number(cols[8]),
    fetchRecordsPerSec: Number(cols[9]),
  };
}

export async function runBrokerStage(o: SuiteOptions): Promise<Section> {
  const section = emptySection();
  const toolsJar = `kafka-tools-${kafkaVersion()}.jar`;
  if (!existsSync(join(kafkaLibs(), toolsJar))) {
    section.unavailable.push({ name: 'kafka-tools', reason: `${toolsJar} not found in ${kafkaLibs()}` });
    settle(section);
    return section;
  }
  const conditions = {
    records: o.rawRecords,
    recordBytes: o.recordBytes,
    partitions: o.partitions,
    acks: 'all',
    compression: 'none',
  };
  const prod: ReturnType<typeof parseProducerPerformance>[] = [];
  const cons: ReturnType<typeof parseConsumerPerformance>[] = [];
  for (let i = 0; i < o.repeats; i++) {
    const topic = uniqueTopic('broker');
    await createTopics(o.brokers, [topic], o.partitions);
    try {
      const pOut = await java(
        'org.apache.kafka.tools.ProducerPerformance',
        [
          '--topic',
          topic,
          '--num-records',
          String(o.rawRecords),
          '--record-size',
          String(o.recordBytes),
          '--throughput',
          '-1',
          '--producer-props',
          `bootstrap.servers=${o.brokers.join(',')}`,
          'acks=all',
          'linger.ms=5',
          'batch.size=65536',
        ],
        300_000,
      );
      prod.push(parseProducerPerformance(pOut));
      const cOut = await java(
        'org.apache.kafka.tools.ConsumerPerformance',
        [
          '--bootstrap-server',
          o.brokers.join(','),
          '--topic',
          topic,
          '--messages',
          String(o.rawRecords),
          '--group',
          `${topic}.perf`,
          '--timeout',
          '60000',
        ],
        300_000,
      );
      cons.push(parseConsumerPerformance(cOut));
    } finally {
      await deleteTopics(o.brokers, [topic]);
    }
  }
  const m = (name: string, runs: number[], extra: Record<string, number>, note: string): Measurement => ({
    name,
    metric: 'throughput',
    unit: 'records/s',
    median: round(median(runs)),
    runs: runs.map((r) => round(r)),
    conditions,
    extra,
    note,
  });
  section.measurements.push(
    m(
      'kafka-tools.producer-performance',
      prod.map((p) => p.recordsPerSec),
      { mbPerSec: round(median(prod.map((p) => p.mbPerSec)), 2), p99LatencyMs: median(prod.map((p) => p.p99Ms)) },
      `org.apache.kafka.tools.ProducerPerformance ${kafkaVersion()}, linger.ms=5, batch.size=64 KiB, idempotent (default)`,
    ),
    m(
      'kafka-tools.consumer-performance',
      cons.map((c) => c.fetchRecordsPerSec),
      {
        mbPerSec: round(median(cons.map((c) => c.fetchMbPerSec)), 2),
        rebalanceMs: median(cons.map((c) => c.rebalanceMs)),
      },
      `org.apache.kafka.tools.ConsumerPerformance ${kafkaVersion()}, fetch.nMsg.sec (group join excluded)`,
    ),
  );
  settle(section);
  return section;
}
