/**
 * The dashboard in real headless Chromium (Debian's /usr/bin/chromium via playwright-core), fed
 * from the real broker: the read model and the dashboard state consume uniquely named topics, the
 * test produces records to them and asserts what the page shows — host tiles, a shadow row that
 * appears live after a shadow.state record (no reload), the DAG drawn by dagre, the failover
 * timeline, the capacity profile and a host's charts against its baseline band. A screenshot is kept
 * in test-artifacts/dashboard.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Producer } from 'kafkajs';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, parseTokens } from '../../api/auth.js';
import {
  DASHBOARD_TOPICS,
  type DashboardFeed,
  DashboardState,
  type DashboardTable,
  dashboardExtension,
  startDashboardFeed,
} from '../../api/dashboard/index.js';
import { MemoryPublisher } from '../../api/publisher.js';
import { FleetReadModel, READ_MODEL_TOPICS, type ReadModelTable } from '../../api/read-model.js';
import { type ReadModelFeed, startReadModelFeed } from '../../api/read-model-feed.js';
import { buildApiServer } from '../../api/server.js';
import { encodeFingerprint } from '../../streams/processors/capacity-fingerprint/fingerprint-codec.js';
import type { CapacityProfile, MetricSummary } from '../../streams/processors/capacity-fingerprint/profile.js';
import { buildDag } from '../../streams/processors/dependency-map/dag.js';
import type { KafkaConnection } from '../../streams/runtime/config.js';
import { brokers, createTopics, deleteTopics, testKafka, uniqueName } from '../support/kafka.js';

const TOKEN = 'dashboard-read-token';
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-south-1'];
const HOSTS_PER_REGION = 20;
const NOW = Date.now();

const rmTables = Object.keys(READ_MODEL_TOPICS) as ReadModelTable[];
const rmTopics = Object.fromEntries(rmTables.map((t) => [t, uniqueName(`dash-${t}`)])) as Record<
  ReadModelTable,
  string
>;
const dsTables = Object.keys(DASHBOARD_TOPICS) as DashboardTable[];
const dsTopics = Object.fromEntries(dsTables.map((t) => [t, uniqueName(`dash-${t}`)])) as Record<
  DashboardTable,
  string
>;
const allTopics = [...Object.values(rmTopics), ...Object.values(dsTopics)];

const conn: KafkaConnection = {
  brokers: brokers(),
  clientId: 'foreshadow-dashboard-it',
  registryUrl: 'http://127.0.0.1:1',
  connectUrl: 'http://127.0.0.1:1',
  stateDir: '/tmp',
};

let app: FastifyInstance;
let url: string;
let rmFeed: ReadModelFeed;
let dsFeed: DashboardFeed;
let producer: Producer;
let browser: BrowserContext;
let page: Page;
let profileDir: string;

const hostName = (r: number, i: number) => `${REGIONS[r]}-h${String(i).padStart(2, '0')}`;

async function send(topic: string, key: string, value: unknown): Promise<void> {
  await producer.send({ topic, messages: [{ key, value: JSON.stringify(value) }] });
}

function summary(mean: number): MetricSummary {
  return { mean, std: mean * 0.1, p50: mean, p90: mean * 1.2, p95: mean * 1.3, p99: mean * 1.5, ewma: [mean] };
}

beforeAll(async () => {
  await createTopics(allTopics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })));
  producer = testKafka('foreshadow-dashboard-it').producer();
  await producer.connect();

  // 3 regions × 20 hosts, risk on each, one host clearly degrading.
  const hostMsgs = [];
  const riskMsgs = [];
  for (let r = 0; r < REGIONS.length; r++) {
    for (let i = 0; i < HOSTS_PER_REGION; i++) {
      const host = hostName(r, i);
      const zone = `${REGIONS[r]}${'abc'[i % 3]}`;
      hostMsgs.push({
        key: host,
        value: JSON.stringify({
          host,
          region: REGIONS[r],
          zone,
          rack: `r${i % 4}`,
          address: `10.${r}.0.${i}`,
          cpuCores: 16,
          memoryMb: 65_536,
          state: 'UP',
          labels: {},
          updatedAt: NOW,
        }),
      });
      const pFail = r === 0 && i === 3 ? 0.93 : 0.02 + (i % 5) * 0.01;
      riskMsgs.push({
        key: host,
        value: JSON.stringify({
          host,
          region: REGIONS[r],
          zone,
          timestamp: NOW,
          horizonMs: 3_600_000,
          pFail,
          level: pFail > 0.9 ? 'CRITICAL' : 'OK',
          trend: 0,
          rising: pFail > 0.9,
          deviating: pFail > 0.9,
          deviationScore: 0,
          timeToFailureMs: null,
          drivers: [],
          modelVersion: 'test',
        }),
      });
    }
  }
  await producer.send({ topic: rmTopics.hosts, messages: hostMsgs });
  await producer.send({ topic: rmTopics.risk, messages: riskMsgs });

  // A DAG of 6 services for the first region.
  const edges = [
    ['web', 'api'],
    ['api', 'orders'],
    ['api', 'cache'],
    ['orders', 'db'],
    ['orders', 'queue'],
  ].map(([from, to]) => ({
    from: from!,
    to: to!,
    kinds: ['config' as const],
    weight: 1,
    confidence: 0.9,
    lastSeen: NOW,
  }));
  const dag = buildDag(REGIONS[0]!, [], edges, 3, NOW);
  await send(rmTopics.dags, REGIONS[0]!, {
    region: REGIONS[0],
    version: 3,
    generatedAt: NOW,
    nodeCount: dag.nodes.length,
    edgeCount: dag.edges.length,
    cycleCount: dag.cycles.length,
    levelCount: dag.levels.length,
    dag: JSON.stringify(dag),
  });
  await send(rmTopics.regionHealth, REGIONS[0]!, {
    region: REGIONS[0],
    timestamp: NOW,
    status: 'DEGRADED',
    hostCount: 20,
    hostsAtRisk: 1,
    hostsFailed: 0,
    meanPFail: 0.08,
    reasons: ['1 host at risk'],
  });

  // Capacity profile (the real binary fingerprint) and a host's samples with its baseline.
  const profile: CapacityProfile = {
    region: REGIONS[0]!,
    windowStart: NOW - 3_600_000,
    windowEnd: NOW,
    halfLivesMs: [600_000],
    hostCount: 20,
    instanceCount: 42,
    sampleCount: 1000,
    metrics: { cpu: summary(0.42), memory: summary(0.55), latency: summary(80) },
    services: [
      { service: 'api', hostCount: 6, instanceCount: 12, sampleCount: 300, metrics: { cpu: summary(0.5) } },
      { service: 'db', hostCount: 3, instanceCount: 3, sampleCount: 100, metrics: { cpu: summary(0.3) } },
    ],
  };
  await producer.send({
    topic: dsTopics.capacity,
    messages: [
      {
        key: REGIONS[0]!,
        value: JSON.stringify({
          region: REGIONS[0],
          version: 7,
          formatVersion: 1,
          windowStart: profile.windowStart,
          windowEnd: profile.windowEnd,
          hostCount: 20,
          instanceCount: 42,
          serviceCount: 2,
          encoded: [...encodeFingerprint(profile)],
          emittedAt: NOW,
        }),
      },
    ],
  });
  const focus = hostName(0, 3);
  const samples = [];
  for (let k = 0; k < 40; k++) {
    samples.push({
      key: focus,
      value: JSON.stringify({
        host: focus,
        region: REGIONS[0],
        zone: 'eu-west-1a',
        timestamp: NOW - (40 - k) * 60_000,
        metrics: { 'mem.utilization': 0.5 + k * 0.012, 'cpu.utilization': 0.3, 'http.error_rate': 0.001 },
        tags: {},
        source: 'json',
      }),
    });
  }
  await producer.send({ topic: dsTopics.samples, messages: samples });
  await send(dsTopics.baselines, focus, {
    host: focus,
    region: REGIONS[0],
    zone: 'eu-west-1a',
    timestamp: NOW,
    warm: true,
    sampleCount: 500,
    metrics: {
      'mem.utilization': {
        mean: 0.5,
        stddev: 0.02,
        median: 0.5,
        mad: 0.01,
        p50: 0.5,
        p95: 0.53,
        p99: 0.55,
        seasonalMedian: null,
        count: 500,
        warm: true,
      },
    },
  });

  const model = new FleetReadModel();
  const state = new DashboardState();
  rmFeed = await startReadModelFeed(model, conn, { topics: rmTopics, format: 'json' });
  dsFeed = await startDashboardFeed(conn, { topics: dsTopics, format: 'json' }, state);
  app = await buildApiServer({
    readModel: model,
    publisher: new MemoryPublisher(),
    tokens: parseTokens(`viewer:read:${hashToken(TOKEN)}`),
    extensions: [dashboardExtension({ model, state, banner: () => 'integration test fleet', pushIntervalMs: 300 })],
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });

  profileDir = mkdtempSync(join(tmpdir(), 'foreshadow-chromium-'));
  // A fresh profile per run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    viewport: { width: 1400, height: 1500 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await rmFeed?.stop();
  await dsFeed?.stop();
  await producer?.disconnect();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await deleteTopics(allTopics);
});

describe('dashboard in Chromium', () => {
  it('refuses the data routes without a token but serves the page', async () => {
    const pageRes = await fetch(`${url}/dashboard`);
    expect(pageRes.status).toBe(200);
    expect(await pageRes.text()).toContain('<script type="module" src="/dashboard/app.js">');
    expect((await fetch(`${url}/dashboard/snapshot`)).status).toBe(401);
  });

  it('shows the fleet, the focus host against its baseline, regions with capacity and the DAG, and updates live', async () => {
    await page.goto(`${url}/dashboard#token=${TOKEN}`);
    await page.waitForFunction(() => document.querySelectorAll('.host-tile').length === 60, null, { timeout: 60_000 });
    expect(await page.locator('.region-group').count()).toBe(3);
    expect(await page.locator('.host-tile[data-level="CRITICAL"]').count()).toBe(1);
    await expect.poll(() => page.locator('#banner').textContent()).toBe('integration test fleet');

    // The riskiest host is followed: its memory chart has the baseline band and its samples.
    await page.waitForSelector('.chart[data-metric="mem.utilization"] rect.band', { timeout: 30_000 });
    expect(await page.locator('#host-name').textContent()).toBe(hostName(0, 3));
    expect(await page.locator('.chart[data-metric="mem.utilization"] path.line').count()).toBe(1);

    // Region card: capacity profile decoded from the fingerprint, DAG drawn by dagre (6 services).
    const card = page.locator(`.region-card[data-region="${REGIONS[0]}"]`);
    await card.locator('.dag svg g.node').first().waitFor({ timeout: 30_000 });
    expect(await card.locator('.dag svg g.node').count()).toBe(6);
    expect(await card.locator('.dag svg path.edge').count()).toBe(5);
    expect(await card.locator('.capacity').textContent()).toContain('42 instances');
    expect(await card.locator('.status').textContent()).toBe('DEGRADED');

    // No shadow yet; a shadow.state record makes a row appear without a reload.
    expect(await page.locator('.shadow-row').count()).toBe(0);
    const loadedAt = await page.evaluate(() => performance.timeOrigin);
    await send(rmTopics.shadows, 'redis-orders', {
      resourceId: 'redis-orders',
      kind: 'redis',
      region: REGIONS[0],
      primaryHost: hostName(0, 3),
      shadowHost: hostName(0, 4),
      shadowAddress: '127.0.0.1:7001',
      state: 'SYNCING',
      epoch: 1,
      tier: 'CRITICAL',
      priority: 9,
      lagBytes: 2048,
      lagMs: 40,
      attempts: 1,
      reason: 'pFail 0.93',
      createdAt: NOW,
      updatedAt: Date.now(),
      shadowMs: 0,
    });
    const row = page.locator('.shadow-row[data-resource="redis-orders"]');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('.state').textContent()).toBe('SYNCING');
    expect(await row.textContent()).toContain('2048 B / 40 ms');
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(loadedAt);

    // Failover: a promoted shadow and its timeline entry, also live.
    await send(rmTopics.events, hostName(0, 3), {
      eventId: 'e1',
      failoverId: `hf:${hostName(0, 3)}:1`,
      scope: 'HOST',
      subject: hostName(0, 3),
      step: 'PROMOTED',
      resourceId: 'redis-orders',
      fromHost: hostName(0, 3),
      toHost: hostName(0, 4),
      epoch: 2,
      dryRun: false,
      elapsedMs: 412,
      detail: '',
      timestamp: Date.now(),
    });
    await page.locator('#timeline li.event[data-step="PROMOTED"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('#timeline li.event').first().textContent()).toContain('+412 ms');

    // Every host so far is in the hosts table; one that only reports (risk, no inventory entry) is
    // listed in the "not in the inventory" panel, live.
    expect(await page.locator('.unknown-host').count()).toBe(0);
    expect(await page.locator('#no-unknown').isVisible()).toBe(true);
    await send(rmTopics.risk, 'stray-host-1', {
      host: 'stray-host-1',
      region: REGIONS[1],
      zone: `${REGIONS[1]}b`,
      timestamp: Date.now(),
      horizonMs: 3_600_000,
      pFail: 0.05,
      level: 'OK',
      trend: 0,
      rising: false,
      deviating: false,
      deviationScore: 0,
      timeToFailureMs: null,
      drivers: [],
      modelVersion: 'test',
    });
    const stray = page.locator('.unknown-host[data-host="stray-host-1"]');
    await stray.waitFor({ timeout: 30_000 });
    expect(await stray.textContent()).toContain(`${REGIONS[1]} / ${REGIONS[1]}b`);
    expect(await page.locator('#no-unknown').isVisible()).toBe(false);

    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/dashboard.png', fullPage: true });
  });

  it('shows the safety controls: pause, maintenance windows, approvals awaited and recommendations, live', async () => {
    await page.goto(`${url}/dashboard#token=${TOKEN}`);
    await page.waitForFunction(() => document.querySelectorAll('.host-tile').length === 60, null, { timeout: 60_000 });
    expect(await page.locator('#paused-flag').isHidden()).toBe(true);
    const control = {
      kind: 'MAINTENANCE',
      active: true,
      scope: 'HOST',
      subject: hostName(1, 2),
      reason: 'firmware',
      startsAt: Date.now(),
      endsAt: Date.now() + 3_600_000,
      principal: 'alice',
      updatedAt: Date.now(),
    };
    await send(rmTopics.controls, 'pause', {
      ...control,
      controlId: 'pause',
      kind: 'PAUSE',
      scope: 'FLEET',
      subject: '',
      reason: 'incident 42',
      endsAt: 0,
      requestId: 'p-1',
    });
    await send(rmTopics.controls, 'w-1', { ...control, controlId: 'w-1', requestId: 'w-1' });
    await send(rmTopics.regionFailovers, REGIONS[2]!, {
      region: REGIONS[2],
      status: 'PENDING_APPROVAL',
      failoverId: '',
      epoch: 0,
      step: '',
      trigger: 'region health FAILED: 11/20 hosts failed',
      advisory: false,
      since: Date.now(),
      updatedAt: Date.now(),
      detail: '',
    });
    await send(rmTopics.shadows, 'redis-advised', {
      resourceId: 'redis-advised',
      kind: 'redis',
      region: REGIONS[1],
      primaryHost: hostName(1, 5),
      shadowHost: hostName(1, 6),
      shadowAddress: '',
      state: 'REQUESTED',
      epoch: 0,
      tier: 'HIGH',
      priority: 2,
      lagBytes: null,
      lagMs: null,
      attempts: 1,
      reason: 'recommended',
      createdAt: NOW,
      updatedAt: Date.now(),
      shadowMs: 0,
      advisory: true,
    });
    await page.locator('#paused').waitFor({ timeout: 30_000 });
    expect(await page.locator('#paused-flag').isVisible()).toBe(true);
    expect(await page.locator('#paused').textContent()).toContain('by alice: incident 42');
    await page.locator('#control .window[data-window="w-1"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('#control .window').textContent()).toContain(`host ${hostName(1, 2)}`);
    await page.locator(`#control .approval[data-region="${REGIONS[2]}"]`).waitFor({ timeout: 30_000 });
    const card = page.locator(`.region-card[data-region="${REGIONS[2]}"] .failover-status`);
    expect(await card.textContent()).toBe('failover: PENDING_APPROVAL');
    const advised = page.locator('.shadow-row[data-resource="redis-advised"] .advisory');
    await advised.waitFor({ timeout: 30_000 });
    expect(await advised.textContent()).toBe('advised');
    // The pause lifted: the flag goes, live.
    await send(rmTopics.controls, 'pause', {
      ...control,
      controlId: 'pause',
      kind: 'PAUSE',
      scope: 'FLEET',
      active: false,
    });
    await expect.poll(() => page.locator('#paused-flag').isHidden(), { timeout: 30_000 }).toBe(true);
  });
});
