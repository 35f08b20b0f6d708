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
  samples: { delivered: number; missing: number; duplicated: number };
  risk: { delivered: number; missing: number; duplicated: number };
  rounds: KillRound[];
  /** Exit codes of the processes alive at the end, after SIGTERM. */
  drainExitCodes: (number | null)[];
  readyMs: number[];
}

interface Tail {
  consumer: Consumer;
  /** (host|timestamp) → count; first arrival wall time per partition after a mark. */
  seen: Map<string, number>;
  arrivals: { at: number; partition: number; ts: number }[];
}

async function tail(conn: KafkaConnection, topic: string, hosts: ReadonlySet<string>): Promise<Tail> {
  const serde = avroSerde<{ host: string; timestamp: number }>();
  const consumer = createKafka(conn, 'foreshadow-takeover-tail').consumer({
    groupId: `foreshadow-takeover-tail-${randomBytes(4).toString('hex')}`,
    readUncommitted: false,
    maxWaitTimeInMs: 50,
  });
  const t: Tail = { consumer, seen: new Map(), arrivals: [] };
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
      const v = await serde.deserialize(topic, message.value);
      const k = `${v.host}|${v.timestamp}`;
      t.seen.set(k, (t.seen.get(k) ?? 0) + 1);
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

function tally(sent: ReadonlySet<string>, seen: ReadonlyMap<string, number>) {
  let missing = 0;
  let duplicated = 0;
  for (const k of sent) {
    const n = seen.get(k) ?? 0;
    if (n === 0) missing++;
    else if (n > 1) duplicated++;
  }
  return { delivered: [...sent].filter((k) => (seen.get(k) ?? 0) > 0).length, missing, duplicated };
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
  const spawnOne = (i: number, round: number): Promise<RunProcess> =>
    spawnRun({
      configFile: join(dir, 'foreshadow.yaml'),
      apps: 'host-health',
      logFile: join(dir, 'logs', `p${i}-r${round}.log`),
      env,
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
    const samplesTail = await tail(conn, 'metrics.samples', hostSet);
    const riskTail = await tail(conn, 'health.risk', hostSet);
    tails.push(samplesTail, riskTail);
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
      await agent.send({ topic: 'metrics.raw', messages, acks: -1 });
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
    const drainExitCodes = await Promise.all(
      procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null).map((p) => p.stop('SIGTERM')),
    );
    return {
      options: o,
      processes: 3,
      partitions: 6,
      guarantee: 'exactly-once',
      samplesSent: sent.size,
      samples: tally(sent, samplesTail.seen),
      risk: tally(sent, riskTail.seen),
      rounds,
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
    rmSync(dir, { recursive: true, force: true });
  }
}
