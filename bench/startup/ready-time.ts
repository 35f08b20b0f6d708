/**
 * Start-up benchmark: how long a `foreshadow run` process takes from spawn to /readyz 200 (every
 * app started, its tasks assigned and restored), per app group, with empty state; where the time
 * goes (process boot and imports, cluster check, catalogue, each app); and what a restart costs:
 * the same process again with its state directory (only the changelog tail after its checkpoint is
 * replayed), and after losing the state directory (the whole changelog is replayed).
 *
 * It also times the cause of the 20–31 s the demo's processors used to take to report ready:
 * kafkajs' admin.setOffsets (which the demo called per source topic to start new groups at the
 * present) runs a throw-away consumer that joins the group and waits for its first fetch — up to
 * the fetch wait of 5 s on an idle partition — per topic. StreamsApp's `startAt: 'latest'` replaced
 * it (end offsets read once, committed with the first commit).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partitioners } from 'kafkajs';
import { hashToken } from '../../api/auth.js';
import { RAW_METRICS_TOPIC, SAMPLES_TOPIC } from '../../streams/catalogue.js';
import type { KafkaConnection } from '../../streams/runtime/config.js';
import { createKafka } from '../../streams/runtime/kafka-client.js';
import { type RunProcess, spawnRun } from './run-process.js';

export const GROUPS = ['host-health', 'regional', 'shadows', 'actuators', 'api', 'all'] as const;

export interface StartupOptions {
  repeats: number;
  /** Hosts × samples fed to host-health before the restart measurements. */
  stateHosts: number;
  stateSamplesPerHost: number;
  log?: (line: string) => void;
}

export const DEFAULT_STARTUP: StartupOptions = { repeats: 3, stateHosts: 2_000, stateSamplesPerHost: 3 };

export interface Phases {
  bootMs: number;
  clusterCheckMs: number;
  catalogueMs: number;
  /** Operability server listening → each app ready. */
  appsReadyMs: Record<string, number>;
}

export interface ReadySample {
  readyMs: number;
  phases: Phases;
}

export interface StartupResult {
  /** Spawn → /readyz 200, empty state, per group: every run and the median. */
  emptyState: Record<string, { runs: ReadySample[]; medianMs: number }>;
  restart: {
    stateRecords: number;
    /** Same state directory: only the changelog tail is replayed. */
    withState: { readyMs: number; restoredRecords: number };
    /** State directory lost: the whole changelog is replayed. */
    withoutState: { readyMs: number; restoredRecords: number };
  };
  /** What the demo's start at the present cost per source topic (kafkajs admin.setOffsets). */
  explain: { adminSetOffsetsPerTopicMs: number };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function logLines(p: RunProcess): Record<string, unknown>[] {
  return p
    .log()
    .split('\n')
    .flatMap((l) => {
      if (!l.startsWith('{')) return [];
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

function phasesOf(p: RunProcess): Phases {
  const lines = logLines(p);
  const listening = lines.find((l) => l.msg === 'operability server listening') ?? {};
  const appsReadyMs: Record<string, number> = {};
  for (const l of lines) if (l.msg === 'app ready') appsReadyMs[String(l.app)] = Number(l.ms);
  return {
    bootMs: Number(listening.bootMs ?? 0),
    clusterCheckMs: Number(listening.clusterCheckMs ?? 0),
    catalogueMs: Number(listening.catalogueMs ?? 0),
    appsReadyMs,
  };
}

function restoredRecords(p: RunProcess): number {
  return logLines(p)
    .filter((l) => l.msg === 'restore complete')
    .reduce((n, l) => n + Number(l.restored ?? 0), 0);
}

/**
 * Every host-health group caught up: lag 0 for all three groups in three reads a second apart (the
 * lag is read from the cluster every second; one read right after producing would still show the
 * zeros from before).
 */
async function lagZero(p: RunProcess, groups: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let zeros = 0;
  await new Promise((r) => setTimeout(r, 2_000));
  while (Date.now() < deadline) {
    const text = await (await fetch(`${p.url}/metrics`)).text();
    const series = [...text.matchAll(/^foreshadow_consumer_group_lag\{[^}]*group="([^"]+)"[^}]*\} (\d+)/gm)];
    const seen = new Set(series.map((m) => m[1]));
    const caughtUp = seen.size >= groups && series.every((m) => m[2] === '0');
    zeros = caughtUp ? zeros + 1 : 0;
    if (zeros >= 3) return;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`lag not 0 within ${timeoutMs} ms`);
}

async function setOffsetsPerTopic(conn: KafkaConnection): Promise<number> {
  const admin = createKafka(conn, 'foreshadow-startup-explain').admin();
  await admin.connect();
  try {
    const groupId = `foreshadow-startup-explain-${randomBytes(3).toString('hex')}`;
    const ends = await admin.fetchTopicOffsets(SAMPLES_TOPIC);
    const t0 = Date.now();
    await admin.setOffsets({
      groupId,
      topic: SAMPLES_TOPIC,
      partitions: ends.map((e) => ({ partition: e.partition, offset: e.offset })),
    });
    const ms = Date.now() - t0;
    await admin.deleteGroups([groupId]).catch(() => undefined);
    return ms;
  } finally {
    await admin.disconnect();
  }
}

export async function runStartupBench(conn: KafkaConnection, o: StartupOptions): Promise<StartupResult> {
  const log = o.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'foreshadow-startup-'));
  mkdirSync(join(dir, 'logs'));
  const tag = randomBytes(3).toString('hex');
  const suffixes: string[] = [];
  const env = {
    KAFKA_BROKERS: conn.brokers.join(','),
    SCHEMA_REGISTRY_URL: conn.registryUrl,
    API_TOKENS: `bench:read:${hashToken(randomBytes(8).toString('hex'))}`,
    LOG_LEVEL: 'info',
  };
  const config = (suffix: string, stateDir: string): string => {
    suffixes.push(suffix);
    const file = join(dir, `${suffix}.yaml`);
    writeFileSync(
      file,
      [
        `stateDir: ${stateDir}`,
        `idSuffix: ${suffix}`,
        'startAt: latest',
        'operability: { host: 127.0.0.1, lagIntervalMs: 1000 }',
        'api: { host: 127.0.0.1, port: 0 }',
        'actuators:',
        `  redis: { options: { hosts: { h1: { dataRoot: ${join(dir, 'redis')} } } }, shadowPorts: auto }`,
        `  haproxy: { options: { runtimeApi: ${join(dir, 'haproxy.sock')} } }`,
        '',
      ].join('\n'),
    );
    return file;
  };
  let n = 0;
  const start = async (file: string, apps: string): Promise<RunProcess> =>
    spawnRun({ configFile: file, apps, logFile: join(dir, 'logs', `${++n}-${apps}.log`), env });
  try {
    const emptyState: StartupResult['emptyState'] = {};
    for (const group of GROUPS) {
      const runs: ReadySample[] = [];
      for (let i = 0; i < o.repeats; i++) {
        const suffix = `-startup-${tag}-${group}-${i}`;
        const p = await start(config(suffix, join(dir, 'state', suffix)), group);
        const readyMs = await p.ready(180_000);
        runs.push({ readyMs, phases: phasesOf(p) });
        await p.stop('SIGTERM');
        log(`${group}: ready in ${readyMs} ms`);
      }
      emptyState[group] = { runs, medianMs: median(runs.map((r) => r.readyMs)) };
    }

    // Restart: host-health with state.
    const suffix = `-startup-${tag}-restart`;
    const stateDir = join(dir, 'state', suffix);
    const file = config(suffix, stateDir);
    let p = await start(file, 'host-health');
    await p.ready(180_000);
    const producer = createKafka(conn, 'foreshadow-startup-agent').producer({
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const now = Date.now();
    for (let s = 0; s < o.stateSamplesPerHost; s++) {
      const ts = now - (o.stateSamplesPerHost - s) * 10_000;
      const messages = Array.from({ length: o.stateHosts }, (_, h) => {
        const host = `startup-${tag}-h${h}`;
        return {
          key: host,
          value: JSON.stringify({
            host,
            region: 'startup',
            zone: 'startup-a',
            timestamp: ts,
            metrics: { 'cpu.utilization': 0.3 },
          }),
        };
      });
      for (let i = 0; i < messages.length; i += 500)
        await producer.send({ topic: RAW_METRICS_TOPIC, messages: messages.slice(i, i + 500) });
    }
    await producer.disconnect();
    await lagZero(p, 3, 300_000);
    await p.stop('SIGTERM');
    const stateRecords = restoredRecords(p); // 0: it started empty
    p = await start(file, 'host-health');
    const withState = { readyMs: await p.ready(180_000), restoredRecords: restoredRecords(p) };
    await p.stop('SIGTERM');
    log(`restart with state: ready in ${withState.readyMs} ms, ${withState.restoredRecords} records restored`);
    rmSync(stateDir, { recursive: true, force: true });
    p = await start(file, 'host-health');
    const withoutState = { readyMs: await p.ready(300_000), restoredRecords: restoredRecords(p) };
    await p.stop('SIGTERM');
    log(`restart without state: ready in ${withoutState.readyMs} ms, ${withoutState.restoredRecords} records restored`);
    return {
      emptyState,
      restart: { stateRecords: stateRecords + withoutState.restoredRecords, withState, withoutState },
      explain: { adminSetOffsetsPerTopicMs: await setOffsetsPerTopic(conn) },
    };
  } finally {
    const admin = createKafka(conn, 'foreshadow-startup-cleanup').admin();
    await admin
      .connect()
      .then(async () => {
        const mine = (await admin.listTopics()).filter((t) => suffixes.some((s) => t.includes(s)));
        if (mine.length > 0) await admin.deleteTopics({ topics: mine });
      })
      .catch(() => undefined)
      .finally(() => admin.disconnect().catch(() => undefined));
    rmSync(dir, { recursive: true, force: true });
  }
}
