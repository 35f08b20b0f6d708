/**
 * The shipped operations files: the Prometheus alert rules pass `promtool check rules` and their
 * own `promtool test rules` cases, the process exposition passes `promtool check metrics`, and
 * every Foreshadow metric the rules and the Grafana dashboard query is one a process exports (a
 * renamed metric would otherwise leave an alert silently blind). promtool comes from Debian's
 * prometheus package (stack/install-deps.sh).
 */
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { exposition } from '../../cli/run/operability-server.js';
import { ActuatorMetrics } from '../../sinks/framework/actuator-metrics.js';
import { StreamsMetrics } from '../../streams/runtime/metrics.js';

const run = promisify(execFile);
const RULES = 'ops/prometheus/foreshadow-rules.yml';
const DASHBOARD = 'ops/grafana/foreshadow-dashboard.json';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** Every metric name registered in the code (`name: 'foreshadow_…'`), with histogram series. */
function exportedNames(): Set<string> {
  const names = new Set<string>();
  for (const file of ['api', 'cli', 'sinks', 'streams'].flatMap(sources)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/name: '(foreshadow_[a-z_]+)'/g)) {
      names.add(m[1]!);
      for (const s of ['_bucket', '_sum', '_count']) names.add(`${m[1]}${s}`);
    }
  }
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  for (const m of defaults.getMetricsAsArray()) {
    const name = (m as unknown as { name: string }).name;
    for (const s of ['', '_bucket', '_sum', '_count']) names.add(`${name}${s}`);
  }
  return names;
}

function queried(text: string): string[] {
  return [...new Set([...text.matchAll(/\b((?:foreshadow|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!))];
}

describe('ops files', () => {
  it('promtool check rules passes on the alert rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', RULES]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("the rules' own unit tests pass (promtool test rules)", async () => {
    const { stdout } = await run('promtool', ['test', 'rules', 'foreshadow-rules.test.yml'], { cwd: 'ops/prometheus' });
    expect(stdout).toMatch(/SUCCESS/);
  });

  // prom-client's own Node.js defaults are left out: their names are the library's (and one,
  // nodejs_active_handles_total, is a gauge with a counter's suffix).
  it("Foreshadow's metrics pass promtool check metrics", async () => {
    const a = new StreamsMetrics('foreshadow-host-baseline');
    const b = new StreamsMetrics('foreshadow-failure-risk');
    a.commitLatency.observe({ guarantee: 'at-least-once' }, 0.01);
    b.recordsProduced.inc({ topic: 'health.risk' });
    b.decisions.inc({ topic: 'shadow.commands', decision: 'CREATE', outcome: 'advised' });
    const act = new ActuatorMetrics({ actuator: 'redis' });
    act.duration.observe({ provider: 'redis', type: 'CREATE' }, 0.2);
    act.advisorySkipped.inc({ provider: 'redis', type: 'CREATE' });
    const processRegistry = new Registry();
    const { body } = await exposition({
      appRegistries: () => [a.registry, b.registry, act.registry],
      processRegistry,
      readiness: () => ({}),
      healthy: () => true,
    });
    const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let text = '';
      p.stdout.on('data', (d: Buffer) => {
        text += d.toString();
      });
      p.stderr.on('data', (d: Buffer) => {
        text += d.toString();
      });
      p.on('exit', (code) => resolve({ code, text }));
      p.stdin.end(body);
    });
    expect(out.code, out.text).toBe(0);
  });

  it('every metric the rules and the dashboard query is exported', () => {
    const exported = exportedNames();
    const rules = readFileSync(RULES, 'utf8');
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    const used = queried(`${rules}\n${exprs}`);
    expect(used.length).toBeGreaterThan(10);
    const missing = used.filter((n) => !exported.has(n));
    expect(missing, `queried but never exported: ${missing.join(', ')}`).toEqual([]);
    expect(dashboard.panels.every((p) => p.targets.length > 0)).toBe(true);
  });
});
