/**
 * Scale-out drill: three `foreshadow run --apps host-health` processes (exactly-once) share the
 * partitions of metrics.raw → metrics.samples → health.risk while an agent sends samples for its own
 * hosts; one process is SIGKILLed mid-stream, the other two take its partitions over.
 *
 * Measured: the takeover time, from the kill to the first committed output of a sample sent after
 * the kill on one of the killed process's partitions (ingest's metrics.samples and, at the end of
 * the chain, failure-risk's health.risk), read by a read_committed tail as it arrives.
 * Checked: every sample's effect exactly once: one metrics.samples record and one health.risk
 * record per sent (host, timestamp), none lost, none duplicated. The survivors then drain on
 * SIGTERM and exit 0.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Consumer, Partitioners, type Producer } from 'kafkajs';
import { RAW_METRICS_TOPIC, RISK_TOPIC, SAMPLES_TOPIC } from '../../streams/catalogue.js';
import type { KafkaConnection } from '../../streams/runtime/config.js';
import { createKafka } from '../../streams/runtime/kafka-client.js';
import { avroSerde } from '../../streams/runtime/serdes.js';
import { type RunProcess, spawnRun } from '../startup/run-process.js';

export interface TakeoverOptions {
  hosts: number;
  /** Samples per host per second. */
  perHostPerSecond: number;
  /** Samples flow this long before the kill… */
  beforeKillMs: number;
  /** …and this long after the takeover. */
  afterTakeoverMs: number;
  /** Kill rounds (a killed process is restarted before the next round). */
  kills: number;
  /** The apps' group session timeout (the takeover's floor); default the runtime's 10 s. */
  sessionTimeoutMs?: number;
  /** Keep the run directory (configuration, state, each process's log) for a post-mortem. */
  keepDir?: boolean;
  log?: (line: string) => void;
}

export const SHORT_TAKEOVER: TakeoverOptions = {
  hosts: 48,
  perHostPerSecond: 4,
  beforeKillMs: 8_000,
  afterTakeoverMs: 4_000,
  kills: 1,
};

export const LONG_TAKEOVER: TakeoverOptions = {
  hosts: 200,
  perHostPerSecond: 5,
  beforeKillMs: 20_000,
  afterTakeoverMs: 20_000,
  kills: 3,
};

export interface KillRound {
  victim: number;
  /** metric-ingest / failure-risk partitions the killed process owned. */
  ingestPartitions: number[];
  riskPartitions: number[];
  /** Kill → every one of those partitions committed a metrics.samples record of a post-kill sample. */
  ingestTakeoverMs: number;
  /** Kill → the same for health.risk (the end of the chain). */
  riskTakeoverMs: number;
}

export interface TakeoverResult {
  options: TakeoverOptions;
  processes: number;
  partitions: number;
  guarantee: 'exactly-once';
  samplesSent: number;
  /** Distinct (host, timestamp) pairs seen, how many missing, how many seen more than once. */
  /** The agent's own records on metrics.raw (a duplicate there is not the pipeline's). */
  input: { delivered: number; missing: number; duplicated: number; redelivered: number };
  samples: { delivered: number; missing: number; duplicated: number; redelivered: number };
  /** metric-ingest's internal step (parsed samples keyed by host), read_committed. */
  repartition: { delivered: number; missing: number; duplicated: number; redelivered: number };
  risk: { delivered: number; missing: number; duplicated: number; redelivered: number };
  rounds: KillRound[];
  /** At the end: each host-health group's committed offset and end offset per topic partition. */
  groupOffsets: Record<string, Record<string, string>>;
  /** A few duplicated samples (host|timestamp → partition:offset of each copy), to diagnose. */
  duplicateExamples: Record<string, string[]>;
  /** Exit codes of the processes alive at the end, after SIGTERM. */
  drainExitCodes: (number | null)[];
  readyMs: number[];
}

interface Tail {
  consumer: Consumer;
  /**
   * (host|timestamp) → the offsets carrying it. By offset, not by delivery: the tail's own consumer
   * may be handed a record twice (a rebalance of its group on a loaded machine), which is not a
   * duplicate output; two offsets with the same sample are.
   */
  seen: Map<string, Set<string>>;
  /** Records the tail was handed again (same offset): the tail's rebalances, not outputs. */
  redelivered: number;
  arrivals: { at: number; partition: number; ts: number }[];
}

type Decode = (topic: string, value: Buffer) => Promise<{ host: string; timestamp: number }>;

const avro: Decode = (() => {
  const serde = avroSerde<{ host: string; timestamp: number }>();
  return (topic, value) => Promise.resolve(serde.deserialize(topic, value));
})();
const json: Decode = async (_topic, value) => JSON.parse(value.toString('utf8')) as { host: string; timestamp: number };

async function tail(
  conn: KafkaConnection,
  topic: string,
  hosts: ReadonlySet<string>,
  decode: Decode = avro,
): Promise<Tail> {
  const consumer = createKafka(conn, 'foreshadow-takeover-tail').consumer({
    groupId: `foreshadow-takeover-tail-${randomBytes(4).toString('hex')}`,
    readUncommitted: false,
    maxWaitTimeInMs: 50,
    // The drill's own process is busy (two tails, the agent): no rebalance for a slow heartbeat.
    sessionTimeout: 30_000,
  });
  const t: Tail = { consumer, seen: new Map(), redelivered: 0, arrivals: [] };
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  let joined: () => void = () => {};
  const ready = new Promise<void>((r) => {
    joined = r;
  });
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const host = message.key?.toString();
      if (!host || !hosts.has(host) || !message.value) return;
      const v = await decode(topic, message.value);
      const k = `${v.host}|${v.timestamp}`;
      const offsets = t.seen.get(k) ?? new Set<string>();
      const at = `${partition}:${message.offset}`;
      if (offsets.has(at)) t.redelivered++;
      offsets.add(at);
      t.seen.set(k, offsets);
      t.arrivals.push({ at: Date.now(), partition, ts: v.timestamp });
    },
  });
  await ready;
  return t;
}

/** The partitions the last `assignment` log line of an app gave the process. */
function assignedIn(log: string, applicationId: string): number[] {
  let last: number[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('"msg":"assignment"') || !line.includes(`"app":"${applicationId}"`)) continue;
    try {
      last = (JSON.parse(line) as { partitions: number[] }).partitions;
    } catch {
      // a partial line
    }
  }
  return last;
}

function tally(sent: ReadonlySet<string>, seen: ReadonlyMap<string, ReadonlySet<string>>) {
  let delivered = 0;
  let missing = 0;
  let duplicated = 0;
  for (const k of sent) {
    const n = seen.get(k)?.size ?? 0;
    if (n === 0) missing++;
    else delivered++;
    if (n > 1) duplicated++;
  }
  return { delivered, missing, duplicated };
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function runTakeoverDrill(conn: KafkaConnection, o: TakeoverOptions): Promise<TakeoverResult> {
  const log = o.log ?? (() => {});
  const tag = randomBytes(3).toString('hex');
  const suffix = `-takeover-${tag}`;
  const dir = mkdtempSync(join(tmpdir(), 'foreshadow-takeover-'));
  mkdirSync(join(dir, 'logs'));
  const hostNames = Array.from({ length: o.hosts }, (_, i) => `takeover-${tag}-h${String(i).padStart(3, '0')}`);
  const hostSet = new Set(hostNames);
  const tuning = {
    guarantee: 'exactly-once',
    commitIntervalMs: 100,
    ...(o.sessionTimeoutMs ? { sessionTimeoutMs: o.sessionTimeoutMs } : {}),
  };
  writeFileSync(
    join(dir, 'foreshadow.yaml'),
    [
      `stateDir: ${join(dir, 'state')}`,
      `idSuffix: ${suffix}`,
      'startAt: latest',
      'ensureCatalogue: false',
      'operability: { host: 127.0.0.1 }',
      `apps: { host-health: ${JSON.stringify(tuning)} }`,
      // Silence reports (risk records for hosts gone quiet) are not what this drill counts.
      'risk: { silenceCheckMs: 3600000 }',
      '',
    ].join('\n'),
  );
  const env = { KAFKA_BROKERS: conn.brokers.join(','), SCHEMA_REGISTRY_URL: conn.registryUrl, LOG_LEVEL: 'info' };
  // One state directory per process, as on separate machines (a restarted process finds its own).
  const spawnOne = (i: number, round: number): Promise<RunProcess> =>
    spawnRun({
      configFile: join(dir, 'foreshadow.yaml'),
      apps: 'host-health',
      logFile: join(dir, 'logs', `p${i}-r${round}.log`),
      env: { ...env, FORESHADOW_STATE_DIR: join(dir, 'state', `p${i}`) },
    });
  const procs: RunProcess[] = [];
  let producer: Producer | undefined;
  const tails: Tail[] = [];
  let sender: NodeJS.Timeout | undefined;
  const sent = new Set<string>();
  try {
    log(`3 × foreshadow run --apps host-health (exactly-once), ${o.hosts} hosts × ${o.perHostPerSecond}/s`);
    procs.push(...(await Promise.all([0, 1, 2].map((i) => spawnOne(i, 0)))));
    const readyMs = await Promise.all(procs.map((p) => p.ready(180_000)));
    log(`ready after ${readyMs.join(', ')} ms`);
    const rawTail = await tail(conn, RAW_METRICS_TOPIC, hostSet, json);
    const repartitionTail = await tail(conn, `foreshadow-metric-ingest${suffix}-parsed-repartition`, hostSet, json);
    const samplesTail = await tail(conn, SAMPLES_TOPIC, hostSet);
    const riskTail = await tail(conn, RISK_TOPIC, hostSet);
    tails.push(rawTail, repartitionTail, samplesTail, riskTail);
    producer = createKafka(conn, 'foreshadow-takeover-agent').producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
    });
    await producer.connect();
    const agent = producer;
    // One sample per host every 1/perHostPerSecond s, each with its own timestamp (ms, unique per host).
    let lastTs = 0;
    const send = async (): Promise<void> => {
      const ts = Math.max(Date.now(), lastTs + 1);
      lastTs = ts;
      const messages = hostNames.map((host, i) => {
        sent.add(`${host}|${ts}`);
        return {
          key: host,
          value: JSON.stringify({
            host,
            region: 'takeover',
            zone: `takeover-${'abc'[i % 3]}`,
            timestamp: ts,
            metrics: { 'cpu.utilization': 0.2 + ((i * 7 + ts) % 50) / 100, 'mem.utilization': 0.4 },
          }),
        };
      });
      await agent.send({ topic: RAW_METRICS_TOPIC, messages, acks: -1 });
    };
    let sending: Promise<void> = Promise.resolve();
    sender = setInterval(() => {
      sending = sending.then(send).catch((err: unknown) => log(`send failed: ${String(err)}`));
    }, 1000 / o.perHostPerSecond);
    await new Promise((r) => setTimeout(r, o.beforeKillMs));

    const rounds: KillRound[] = [];
    for (let round = 1; round <= o.kills; round++) {
      const victim = (round - 1) % procs.length;
      const v = procs[victim]!;
      const ingestPartitions = assignedIn(v.log(), `foreshadow-metric-ingest${suffix}`);
      const riskPartitions = assignedIn(v.log(), `foreshadow-failure-risk${suffix}`);
      const killAt = Date.now();
      v.child.kill('SIGKILL');
      await v.exited;
      log(`round ${round}: SIGKILL process ${victim} (ingest partitions ${ingestPartitions}, risk ${riskPartitions})`);
      // Taken over = every partition the victim owned has produced again (a sample sent after the kill).
      const firstAfter = (t: Tail, p: number): number | undefined => {
        let first: number | undefined;
        for (const a of t.arrivals)
          if (a.partition === p && a.ts > killAt && (first === undefined || a.at < first)) first = a.at;
        return first;
      };
      const allBack = (t: Tail, partitions: number[]) => () => partitions.every((p) => firstAfter(t, p) !== undefined);
      await waitFor('ingest takeover', allBack(samplesTail, ingestPartitions), 120_000);
      await waitFor('risk takeover', allBack(riskTail, riskPartitions), 120_000);
      const takeover = (t: Tail, partitions: number[]): number =>
        Math.max(0, ...partitions.map((p) => (firstAfter(t, p) ?? killAt) - killAt));
      const r: KillRound = {
        victim,
        ingestPartitions,
        riskPartitions,
        ingestTakeoverMs: takeover(samplesTail, ingestPartitions),
        riskTakeoverMs: takeover(riskTail, riskPartitions),
      };
      rounds.push(r);
      log(`round ${round}: takeover ${r.ingestTakeoverMs} ms (metrics.samples), ${r.riskTakeoverMs} ms (health.risk)`);
      await new Promise((res) => setTimeout(res, o.afterTakeoverMs));
      if (round < o.kills) {
        procs[victim] = await spawnOne(victim, round);
        await procs[victim]!.ready(180_000);
        await new Promise((res) => setTimeout(res, o.afterTakeoverMs));
      }
    }
    clearInterval(sender);
    sender = undefined;
    await sending;
    log(`${sent.size} samples sent; waiting for every effect`);
    await waitFor(
      'every sample in metrics.samples and health.risk',
      () => [...sent].every((k) => samplesTail.seen.has(k) && riskTail.seen.has(k)),
      120_000,
    ).catch((err: unknown) => log(String(err)));
    // Duplicates, if any, would arrive close behind: a short grace.
    await new Promise((r) => setTimeout(r, 3_000));
    const groupOffsets: Record<string, Record<string, string>> = {};
    const inspect = createKafka(conn, 'foreshadow-takeover-inspect').admin();
    await inspect.connect();
    try {
      for (const app of ['metric-ingest', 'host-baseline', 'failure-risk']) {
        const groupId = `foreshadow-${app}${suffix}`;
        const topics = (await inspect.listTopics()).filter((t) => t.startsWith(groupId) && t.endsWith('-repartition'));
        const sources = app === 'metric-ingest' ? [RAW_METRICS_TOPIC, ...topics] : [SAMPLES_TOPIC, ...topics];
        const out: Record<string, string> = {};
        for (const t of await inspect.fetchOffsets({ groupId, topics: sources })) {
          const ends = await inspect.fetchTopicOffsets(t.topic);
          for (const p of t.partitions)
            out[`${t.topic.replace(groupId, '')}:${p.partition}`] =
              `${p.offset}/${ends.find((e) => e.partition === p.partition)?.high}`;
        }
        groupOffsets[app] = out;
      }
    } finally {
      await inspect.disconnect();
    }
    const drainExitCodes = await Promise.all(
      procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null).map((p) => p.stop('SIGTERM')),
    );
    return {
      options: o,
      processes: 3,
      partitions: 6,
      guarantee: 'exactly-once',
      samplesSent: sent.size,
      input: { ...tally(sent, rawTail.seen), redelivered: rawTail.redelivered },
      repartition: { ...tally(sent, repartitionTail.seen), redelivered: repartitionTail.redelivered },
      samples: { ...tally(sent, samplesTail.seen), redelivered: samplesTail.redelivered },
      risk: { ...tally(sent, riskTail.seen), redelivered: riskTail.redelivered },
      rounds,
      groupOffsets,
      duplicateExamples: Object.fromEntries(
        [...samplesTail.seen]
          .filter(([, o]) => o.size > 1)
          .slice(0, 5)
          .map(([k, o]) => [k, [...o]]),
      ),
      drainExitCodes,
      readyMs,
    };
  } finally {
    if (sender) clearInterval(sender);
    for (const p of procs) await p.stop('SIGKILL', 5_000).catch(() => undefined);
    for (const t of tails) await t.consumer.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    const admin = createKafka(conn, 'foreshadow-takeover-cleanup').admin();
    await admin
      .connect()
      .then(async () => {
        const mine = (await admin.listTopics()).filter((t) => t.includes(suffix));
        if (mine.length > 0) await admin.deleteTopics({ topics: mine });
      })
      .catch(() => undefined)
      .finally(() => admin.disconnect().catch(() => undefined));
    if (o.keepDir) log(`run directory kept: ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
