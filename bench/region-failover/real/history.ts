/**
 * What the live pipeline knows about the primary region, kept where Foreshadow keeps it: Kafka.
 *   - evidence (topology.configs, topology.discovery): the load balancers' real configuration
 *     files of region A (their `server` lines) and a Consul-style registration of every running
 *     instance of region A with its real address;
 *   - the deployments table (one row per running instance of region A);
 *   - the metrics history (metrics.samples): one sample per instance every 10 s over the capacity
 *     fingerprint's window (15 min by default), drawn around each service's typical CPU
 *     (region-plan.ts) — the drill's processes themselves are idle, so their load is synthetic.
 * `discoverBlueprint` reads all of it back and runs the real dependency mapper, capacity maths and
 * shadow-region builder over it: what the live pipeline did before the failure (warm) and what a
 * failover without a blueprint has to do after it (cold). Both call this same function.
 */
import { readFile } from 'node:fs/promises';
import type { Kafka } from 'kafkajs';
import type { ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import type { CapacityProfile } from '../../../streams/processors/capacity-fingerprint/profile.js';
import type { DagDocument } from '../../../streams/processors/dependency-map/dag.js';
import { currentDag, ingestEvidence, newRegionState } from '../../../streams/processors/dependency-map/mapper.js';
import { buildBlueprint, type DeploymentRow } from '../../../streams/processors/shadow-region/blueprint.js';
import { profileFromSamples } from '../../../test/fixtures/regions/profiles.js';
import { type HostSampleLike, SAMPLE_METRIC_NAMES } from '../../../test/fixtures/regions/synthetic-region.js';
import { DRILL_SERVICES, PRIMARY_REGION, type RegionPlan, SHADOW_REGION } from './region-plan.js';

export interface HistoryTopics {
  configs: string;
  discovery: string;
  deployments: string;
  samples: string;
}

export function historyTopics(prefix: string): HistoryTopics {
  return {
    configs: `${prefix}.topology.configs`,
    discovery: `${prefix}.topology.discovery`,
    deployments: `${prefix}.deployments`,
    samples: `${prefix}.metrics.samples`,
  };
}

/** Region A's running instances: one of each service (what is deployed there). */
function deployments(plan: RegionPlan, now: number): DeploymentRow[] {
  return DRILL_SERVICES.map((s) => ({
    resourceId: `${s.name}-a-0`,
    kind: s.kind,
    service: s.name,
    host: `${PRIMARY_REGION}-host-${s.host}`,
    region: PRIMARY_REGION,
    configRef: `drill/${s.name}@v1`,
    replication: s.kind === 'postgres',
    address:
      s.kind === 'haproxy' ? plan.frontend(PRIMARY_REGION, s, s.frontends[0]!) : plan.instance(PRIMARY_REGION, s),
    cpu: 1,
    memoryMb: 1024,
    outcome: 'SUCCEEDED',
    deployedAt: now - 86_400_000,
  }));
}

/** The `server` lines of a real haproxy.cfg, as the URLs a config collector reports. */
export function balancerServers(cfg: string): string[] {
  return [...cfg.matchAll(/^\s*server\s+\S+\s+(\S+:\d+)/gm)].map((m) => `tcp://${m[1]}`);
}

function registrations(plan: RegionPlan): unknown[] {
  return DRILL_SERVICES.flatMap((s) => {
    const addresses =
      s.kind === 'haproxy'
        ? s.frontends.map((f) => plan.frontend(PRIMARY_REGION, s, f))
        : [plan.instance(PRIMARY_REGION, s)];
    return addresses.map((a) => {
      const [host, port] = a.split(':');
      return { ServiceName: s.name, ServiceAddress: host, ServicePort: Number(port), Datacenter: PRIMARY_REGION };
    });
  });
}

/** Deterministic noise (mulberry32), so every drill draws the same history. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function metricsHistory(now: number, minutes: number, intervalMs = 10_000): HostSampleLike[] {
  const draw = random(18);
  const out: HostSampleLike[] = [];
  for (let t = now - minutes * 60_000; t < now; t += intervalMs) {
    const wave = 1 + 0.1 * Math.sin((2 * Math.PI * t) / 3_600_000);
    for (const s of DRILL_SERVICES) {
      const cpu = Math.min(1, s.cpu * wave * (0.9 + 0.2 * draw()));
      out.push({
        host: `${PRIMARY_REGION}-host-${s.host}`,
        region: PRIMARY_REGION,
        zone: '',
        timestamp: t,
        metrics: {
          [SAMPLE_METRIC_NAMES.cpu]: cpu,
          [SAMPLE_METRIC_NAMES.memory]: Math.min(1, 0.5 * cpu + 0.1),
          [SAMPLE_METRIC_NAMES.connections]: Math.round(40 * cpu),
          [SAMPLE_METRIC_NAMES.netIo]: 2e6 * cpu,
          [SAMPLE_METRIC_NAMES.diskIo]: s.kind === 'postgres' ? 5e5 * cpu : 1e3,
          [SAMPLE_METRIC_NAMES.latency]: 2 + 3 * cpu,
        },
        tags: { service: s.name, instance: `${s.name}-a-0` },
        source: 'drill',
      });
    }
  }
  return out;
}

export interface HistoryCounts {
  configs: number;
  discovery: number;
  deployments: number;
  samples: number;
}

/** Publishes region A's evidence, deployments and metrics history; `balancerConfigs` = service → haproxy.cfg path. */
export async function publishHistory(
  kafka: Kafka,
  topics: HistoryTopics,
  plan: RegionPlan,
  balancerConfigs: ReadonlyMap<string, string>,
  now: number,
  historyMinutes: number,
): Promise<HistoryCounts> {
  const configs: unknown[] = [];
  for (const [service, file] of balancerConfigs) {
    const servers = balancerServers(await readFile(file, 'utf8'));
    configs.push({
      service,
      region: PRIMARY_REGION,
      path: file,
      format: 'json',
      content: JSON.stringify({ servers }),
    });
  }
  const discovery = registrations(plan);
  const rows = deployments(plan, now);
  const samples = metricsHistory(now, historyMinutes);
  const producer = kafka.producer();
  await producer.connect();
  try {
    const send = async (topic: string, values: unknown[], key: (v: unknown) => string): Promise<void> => {
      for (let i = 0; i < values.length; i += 500) {
        await producer.send({
          topic,
          acks: -1,
          messages: values.slice(i, i + 500).map((v) => ({ key: key(v), value: JSON.stringify(v) })),
        });
      }
    };
    await send(topics.configs, configs, (v) => (v as { service: string }).service);
    await send(topics.discovery, discovery, (v) => (v as { ServiceName: string }).ServiceName);
    await send(topics.deployments, rows, (v) => (v as DeploymentRow).resourceId);
    await send(topics.samples, samples, (v) => (v as HostSampleLike).host);
  } finally {
    await producer.disconnect();
  }
  return { configs: configs.length, discovery: discovery.length, deployments: rows.length, samples: samples.length };
}

/** Every record of the topics, from the beginning to the end offsets at the time of the call. */
async function readAll(kafka: Kafka, topics: string[], group: string): Promise<Map<string, unknown[]>> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, number>();
  try {
    for (const t of topics) {
      for (const p of await admin.fetchTopicOffsets(t)) ends.set(`${t}/${p.partition}`, Number(p.high));
    }
  } finally {
    await admin.disconnect();
  }
  const out = new Map<string, unknown[]>(topics.map((t) => [t, []]));
  const pending = new Set([...ends].filter(([, high]) => high > 0).map(([k]) => k));
  if (pending.size === 0) return out;
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 50 });
  await consumer.connect();
  try {
    for (const t of topics) await consumer.subscribe({ topic: t, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const list = out.get(batch.topic)!;
            for (const m of batch.messages) if (m.value) list.push(JSON.parse(m.value.toString('utf8')));
            const key = `${batch.topic}/${batch.partition}`;
            const last = Number(batch.lastOffset());
            if (last + 1 >= (ends.get(key) ?? 0)) pending.delete(key);
            if (pending.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

export interface Discovery {
  blueprint: ShadowBlueprint;
  dag: DagDocument;
  profile: CapacityProfile;
  /** Wall-clock ms: reading the topics, mapping dependencies, sizing and building the blueprint. */
  readMs: number;
  mapMs: number;
  sizeMs: number;
  records: number;
}

/** Reads the evidence, deployments and metrics history and builds the shadow blueprint from them. */
export async function discoverBlueprint(
  kafka: Kafka,
  topics: HistoryTopics,
  group: string,
  now: number,
  version: number,
): Promise<Discovery> {
  const t0 = performance.now();
  const read = await readAll(kafka, [topics.configs, topics.discovery, topics.deployments, topics.samples], group);
  const t1 = performance.now();
  const state = newRegionState(PRIMARY_REGION);
  // Discovery first, so config references resolve at once (the mapper also parks and retries them).
  for (const v of read.get(topics.discovery) ?? []) ingestEvidence(state, 'discovery', v, now);
  for (const v of read.get(topics.configs) ?? []) ingestEvidence(state, 'config', v, now);
  const dag = currentDag(state, now, version);
  const t2 = performance.now();
  const samples = (read.get(topics.samples) ?? []) as HostSampleLike[];
  const profile = profileFromSamples(samples, { region: PRIMARY_REGION });
  const blueprint = buildBlueprint({
    primaryRegion: PRIMARY_REGION,
    shadowRegion: SHADOW_REGION,
    profile,
    fingerprintVersion: version,
    dag,
    deployments: (read.get(topics.deployments) ?? []) as DeploymentRow[],
    builtAt: now,
    version,
  });
  const t3 = performance.now();
  return {
    blueprint,
    dag,
    profile,
    readMs: t1 - t0,
    mapMs: t2 - t1,
    sizeMs: t3 - t2,
    records: [...read.values()].reduce((n, l) => n + l.length, 0),
  };
}
