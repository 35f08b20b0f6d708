import { collectDefaultMetrics, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type OperabilityServer, startOperabilityServer } from '../../../cli/run/operability-server.js';
import { ActuatorMetrics } from '../../../sinks/framework/actuator-metrics.js';
import { StreamsMetrics } from '../../../streams/runtime/metrics.js';

let server: OperabilityServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('operability server', () => {
  it('serves every app registry merged into one exposition (one TYPE per name), /healthz and /readyz', async () => {
    const a = new StreamsMetrics('foreshadow-metric-ingest');
    const b = new StreamsMetrics('foreshadow-failure-risk');
    a.commits.inc({ result: 'ok' }, 3);
    b.commits.inc({ result: 'ok' }, 5);
    a.commitLatency.observe({ guarantee: 'at-least-once' }, 0.02);
    b.recordsProduced.inc({ topic: 'health.risk' }, 7);
    const act = new ActuatorMetrics({ actuator: 'redis' });
    act.outcomes.inc({ provider: 'redis', type: 'CREATE', status: 'SUCCEEDED' });
    const processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
    const ready: Record<string, boolean> = { 'metric-ingest': true, 'failure-risk': false };
    let healthy = true;
    server = await startOperabilityServer(
      {
        appRegistries: () => [a.registry, b.registry, act.registry],
        processRegistry,
        readiness: () => ready,
        healthy: () => healthy,
      },
      '127.0.0.1',
      0,
    );
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const types = metrics.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types).size, 'one TYPE line per metric name').toBe(types.length);
    expect(metrics).toContain('foreshadow_streams_commits_total{result="ok",application="foreshadow-metric-ingest"} 3');
    expect(metrics).toContain('foreshadow_streams_commits_total{result="ok",application="foreshadow-failure-risk"} 5');
    expect(metrics).toContain(
      'foreshadow_streams_records_produced_total{topic="health.risk",application="foreshadow-failure-risk"} 7',
    );
    expect(metrics).toMatch(
      /foreshadow_streams_commit_seconds_bucket\{le="0\.025",guarantee="at-least-once",application="foreshadow-metric-ingest"\} 1/,
    );
    expect(metrics).toContain(
      'foreshadow_actuator_commands_total{provider="redis",type="CREATE",status="SUCCEEDED",actuator="redis"} 1',
    );
    expect(metrics).toMatch(/^process_cpu_user_seconds_total /m);

    let r = await fetch(`${server.url}/readyz`);
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ ready: false, apps: ready });
    ready['failure-risk'] = true;
    r = await fetch(`${server.url}/readyz`);
    expect(r.status).toBe(200);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    healthy = false;
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('closes although a scraper keeps its connection open', async () => {
    server = await startOperabilityServer(
      { appRegistries: () => [], processRegistry: new Registry(), readiness: () => ({}), healthy: () => true },
      '127.0.0.1',
      0,
    );
    await fetch(`${server.url}/metrics`, { keepalive: true });
    const t0 = Date.now();
    await server.close();
    server = undefined;
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
