/**
 * Production mode end to end on the local stack, from the repository's example files: two
 * `foreshadow run` processes (host-health + regional; shadows + actuators + API) started from
 * examples/foreshadow.yaml, `foreshadow inventory apply` of examples/inventory.yaml (dry run, apply,
 * re-apply, a refused file), metrics for its hosts and for one host it does not declare, then:
 *   - risk for every inventory host (failure-risk, read back through the API), the undeclared host
 *     reported by GET /inventory/unknown-hosts;
 *   - a shadow of a real Redis: POST /shadow/create → the Redis actuator starts a redis-server
 *     replica on another host, READY, replicating from the primary (checked on the replica itself);
 *   - the real Prometheus (Debian) scrapes both processes: every target up, key series present;
 *   - the inventory emptied: the resources are tombstoned and the shadow retired;
 *   - SIGTERM drains both processes and they exit 0.
 * Names are run-scoped (hosts, resources, application ids) so the shared tables stay usable by others.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../../api/auth.js';
import { freeLoopbackPort, type RunProcess, spawnRun } from '../../../bench/startup/run-process.js';
import { type RedisServer, redisClient, startRedis, stopDaemons, stopProcess } from '../../../demo/real-processes.js';
import { EXAMPLE_HOSTS, exampleConfig, exampleInventory } from '../../support/examples.js';
import { brokers, registryUrl, testKafka, withAdmin } from '../../support/kafka.js';

const run = promisify(execFile);
const tag = `p${randomBytes(3).toString('hex')}`;
const suffix = `-it-${tag}`;
const token = randomBytes(12).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'foreshadow-production-'));
const env = {
  KAFKA_BROKERS: brokers().join(','),
  SCHEMA_REGISTRY_URL: registryUrl(),
  API_TOKENS: `it:operate:${hashToken(token)}`,
  LOG_LEVEL: 'info',
};
const hosts = EXAMPLE_HOSTS.map((h) => `${tag}-${h}`);
const unknownHost = `${tag}-not-in-inventory`;
const orders = `${tag}-redis-orders`;

let primary: RedisServer;
let apiPort: number;
let processes: RunProcess[] = [];
let prometheus: ChildProcess | undefined;
let promUrl = '';
let sampler: NodeJS.Timeout | undefined;

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'cli/foreshadow.ts', ...args], {
      env: { ...process.env, ...env },
      maxBuffer: 4 * 1024 * 1024,
    });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err: unknown) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const r = await fetch(`http://127.0.0.1:${apiPort}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });
  return { status: r.status, body: (await r.json()) as T };
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err: unknown) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
}

async function promQuery(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await r.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  return body.data.result;
}

/** JSON samples for the inventory hosts and one undeclared host, as an agent would send them. */
function startSamples(): void {
  const producer = testKafka('foreshadow-it-agent').producer({ createPartitioner: Partitioners.DefaultPartitioner });
  let n = 0;
  const send = async (): Promise<void> => {
    const now = Date.now();
    n++;
    await producer.send({
      topic: 'metrics.raw',
      messages: [...hosts, unknownHost].map((host, i) => ({
        key: host,
        value: JSON.stringify({
          host,
          region: 'eu-west-1',
          zone: `eu-west-1${'abc'[i % 3]}`,
          timestamp: now,
          metrics: { 'cpu.utilization': 0.3 + 0.01 * Math.sin(n + i), 'mem.utilization': 0.5 },
        }),
      })),
    });
  };
  void producer.connect().then(() => {
    sampler = setInterval(() => void send().catch(() => undefined), 500);
  });
}

beforeAll(async () => {
  primary = await startRedis('it-primary', dir, await freeLoopbackPort());
  apiPort = await freeLoopbackPort();
  const config = exampleConfig([
    [['idSuffix'], suffix],
    [['startAt'], 'latest'],
    [['stateDir'], join(dir, 'state')],
    [['operability'], { host: '127.0.0.1', port: 0 }],
    [['api'], { host: '127.0.0.1', port: apiPort }],
    [
      ['actuators'],
      {
        redis: {
          options: {
            kinds: ['redis'],
            hosts: Object.fromEntries(
              hosts.map((h) => [h, { bindAddress: '127.0.0.1', dataRoot: join(dir, 'shadows', h) }]),
            ),
            pollIntervalMs: 100,
          },
          shadowPorts: 'auto',
        },
      },
    ],
    // Hosts go quiet when the test ends: no heartbeat-loss failover within the test's lifetime.
    [['shadows', 'heartbeatIntervalMs'], 60_000],
    [['shadows', 'heartbeatMissedIntervals'], 10],
    [['shadows', 'syncPollMs'], 1_000],
  ]);
  writeFileSync(join(dir, 'foreshadow.yaml'), config);
  writeFileSync(join(dir, 'inventory.yaml'), exampleInventory(tag, primary.address));
  mkdirSync(join(dir, 'logs'), { recursive: true });
  processes = await Promise.all(
    ['host-health,regional', 'shadows,actuators,api'].map((apps, i) =>
      spawnRun({ configFile: join(dir, 'foreshadow.yaml'), apps, logFile: join(dir, 'logs', `p${i}.log`), env }),
    ),
  );
  await Promise.all(processes.map((p) => p.ready(120_000)));

  // Prometheus (Debian) scraping both processes every second.
  const promPort = await freeLoopbackPort();
  promUrl = `http://127.0.0.1:${promPort}`;
  const targets = processes.map((p) => `'${p.url.replace('http://', '')}'`).join(', ');
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nrule_files: ['${process.cwd()}/ops/prometheus/foreshadow-rules.yml']\nscrape_configs:\n  - job_name: foreshadow\n    static_configs: [{ targets: [${targets}] }]\n`,
  );
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ],
    { stdio: 'ignore' },
  );
}, 240_000);

afterAll(async () => {
  if (sampler) clearInterval(sampler);
  for (const p of processes) await p.stop('SIGKILL', 5_000).catch(() => undefined);
  prometheus?.kill('SIGTERM');
  await stopDaemons(join(dir, 'shadows'));
  if (primary) await stopProcess(primary);
  await withAdmin(async (admin) => {
    const mine = (await admin.listTopics()).filter((t) => t.includes(suffix));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('foreshadow run + inventory apply from the example files', () => {
  it('inventory apply: dry run, apply, idempotent re-apply; an invalid file is refused with lines', async () => {
    const file = join(dir, 'inventory.yaml');
    const dry = await cli('inventory', 'apply', file, '--dry-run');
    expect(dry.code, dry.out).toBe(0);
    expect(dry.out).toMatch(/hosts: 5 added, 0 changed, 0 removed, 0 unchanged; resources: 3 added/);
    expect(dry.out).toContain(`resource ${orders} added`);
    expect(dry.out).toContain('dry run: nothing written');
    const applied = await cli('inventory', 'apply', file);
    expect(applied.code, applied.out).toBe(0);
    expect(applied.out).toMatch(/applied: 8 records written/);
    const again = await cli('inventory', 'apply', file);
    expect(again.out).toMatch(
      /hosts: 0 added, 0 changed, 0 removed, 5 unchanged; resources: 0 added, 0 changed, 0 removed, 3 unchanged/,
    );
    expect(again.out).toMatch(/applied: 0 records written/);
    writeFileSync(
      join(dir, 'bad.yaml'),
      `name: it-${tag}\nresources:\n  - id: x\n    kind: redis\n    host: nowhere-${tag}\n    criticality: SOMETIMES\n`,
    );
    const bad = await cli('inventory', 'apply', join(dir, 'bad.yaml'));
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/bad\.yaml:5: resources\[0\]\.host: host "nowhere-\w+" is neither declared/);
    expect(bad.out).toMatch(/bad\.yaml:6: resources\[0\]\.criticality: Invalid option/);
  });

  it('risk for every inventory host; the undeclared host is reported, not ignored', async () => {
    startSamples();
    const risks = await until(
      'risk for every inventory host',
      async () => {
        const r = await api<{ hosts: { host: string; pFail: number }[] }>('/risk');
        const seen = new Set(r.body.hosts.map((h) => h.host));
        return hosts.every((h) => seen.has(h)) ? r.body.hosts : undefined;
      },
      60_000,
    );
    for (const h of hosts) expect(risks.find((r) => r.host === h)!.pFail).toBeGreaterThanOrEqual(0);
    const unknown = await until(
      'the undeclared host listed',
      async () => {
        const r = await api<{ hosts: { host: string }[] }>('/inventory/unknown-hosts');
        return r.body.hosts.some((h) => h.host === unknownHost) ? r.body.hosts : undefined;
      },
      30_000,
    );
    for (const h of hosts) expect(unknown.map((u) => u.host)).not.toContain(h);
  });

  it('a shadow of the real Redis: created on another host, READY, replicating from the primary', async () => {
    const created = await api<{ status: string }>('/shadow/create', {
      method: 'POST',
      body: JSON.stringify({ resourceId: orders }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const shadow = await until(
      'the shadow READY',
      async () => {
        const r = await api<{
          shadows: { resourceId: string; state: string; shadowHost: string; shadowAddress: string }[];
        }>(`/shadow/status?resourceId=${orders}`);
        const s = r.body.shadows[0];
        return s?.state === 'READY' ? s : undefined;
      },
      90_000,
    );
    expect(shadow.shadowHost).not.toBe(`${tag}-eu-west-1a-01`);
    expect(hosts).toContain(shadow.shadowHost);
    const replica = await redisClient(Number(shadow.shadowAddress.split(':')[1]));
    try {
      const info = await replica.info('replication');
      expect(info).toMatch(/role:slave/);
      expect(info).toContain(`master_port:${primary.port}`);
      expect(info).toMatch(/master_link_status:up/);
    } finally {
      replica.disconnect();
    }
  });

  it('Prometheus scrapes every process: targets up, key series present', async () => {
    await until(
      'both targets up',
      async () => {
        const up = await promQuery('up{job="foreshadow"}');
        return up.length === processes.length && up.every((u) => u.value[1] === '1') ? up : undefined;
      },
      60_000,
    );
    const expectSeries = async (q: string, check: (n: number) => boolean = (n) => n >= 0): Promise<void> => {
      const r = await until(
        q,
        async () => {
          const res = await promQuery(q);
          return res.length > 0 && check(Number(res[0]!.value[1])) ? res : undefined;
        },
        30_000,
      );
      expect(r.length, q).toBeGreaterThan(0);
    };
    // Every app of both processes reports ready.
    await expectSeries('count(foreshadow_app_ready == 1)', (n) => n === 3 + 4 + 2 + 1 + 1);
    await expectSeries('sum(rate(foreshadow_streams_commit_seconds_count[30s]))', (n) => n > 0);
    await expectSeries('max(foreshadow_consumer_group_lag{group=~".*failure-risk.*"})');
    await expectSeries(`sum(foreshadow_streams_records_produced_total{topic="shadow.commands"})`, (n) => n >= 1);
    // The shadow manager's decision, as it was committed: the CREATE of the Redis shadow, acted on.
    await expectSeries(
      'sum(foreshadow_decisions_total{application=~"foreshadow-shadow-manager.*",topic="shadow.commands",decision="CREATE",outcome="acted"})',
      (n) => n >= 1,
    );
    await expectSeries(
      'sum(foreshadow_actuator_commands_total{provider="redis",type="CREATE",status="SUCCEEDED"})',
      (n) => n >= 1,
    );
    await expectSeries('foreshadow_api_unknown_hosts', (n) => n >= 1);
    await expectSeries('sum(foreshadow_streams_records_in_total)', (n) => n > 0);
    await expectSeries('process_resident_memory_bytes', (n) => n > 0);
    // The shipped rules load and evaluate.
    const rules = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { health: string }[] }[] };
    };
    const all = rules.data.groups.flatMap((g) => g.rules);
    expect(all.length).toBeGreaterThan(5);
    expect(all.every((r) => r.health !== 'err')).toBe(true);
  });

  it('an emptied inventory tombstones its entries (the shadow retired); SIGTERM drains and exits 0', async () => {
    if (sampler) clearInterval(sampler);
    writeFileSync(join(dir, 'empty.yaml'), `name: it-${tag}\n`);
    const emptied = await cli('inventory', 'apply', join(dir, 'empty.yaml'));
    expect(emptied.out).toMatch(
      /hosts: 0 added, 0 changed, 5 removed, 0 unchanged; resources: 0 added, 0 changed, 3 removed/,
    );
    await until(
      'the shadow forgotten',
      async () => {
        const r = await api<{ shadows: unknown[] }>(`/shadow/status?resourceId=${orders}`);
        return r.body.shadows.length === 0 ? true : undefined;
      },
      60_000,
    );
    const codes = await Promise.all(processes.map((p) => p.stop('SIGTERM', 40_000)));
    expect(codes, processes.map((p) => p.log().slice(-1500)).join('\n---\n')).toEqual([0, 0]);
    for (const p of processes) expect(p.log()).toMatch(/"msg":"stopped"/);
  });
});
