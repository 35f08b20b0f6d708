/**
 * `npm start -- --duration N` end to end on the real stack: every app becomes ready as a child
 * process, the simulated fleet and the real Redis/HAProxy run, the dashboard is served and shows the
 * fleet in Chromium, the run stops by itself, and no process it started survives it. The story's
 * milestones (a shadow of the degrading Redis, its promotion, traffic back) are asserted from the
 * run's summary line.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { DemoSummary } from '../../demo/demo.js';
import { alive, freePort } from '../../demo/real-processes.js';
import { brokers, registryUrl } from '../support/kafka.js';

const LIVE_SECONDS = 330;

describe('npm start (demo)', () => {
  it(
    'starts everything, serves the live dashboard, tells the story and stops cleanly',
    async () => {
      const apiPort = await freePort();
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'cli/foreshadow.ts',
          'start',
          '--duration',
          String(LIVE_SECONDS),
          '--api-port',
          String(apiPort),
        ],
        {
          env: {
            ...process.env,
            KAFKA_BROKERS: brokers().join(','),
            SCHEMA_REGISTRY_URL: registryUrl(),
            NO_COLOR: '1',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
      });
      child.stderr.on('data', (b: Buffer) => {
        out += b.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const waitForOutput = async (re: RegExp, ms: number): Promise<RegExpExecArray | null> => {
        const deadline = Date.now() + ms;
        while (Date.now() < deadline) {
          const m = re.exec(out);
          if (m) return m;
          if (child.exitCode !== null) return null;
          await new Promise((r) => setTimeout(r, 500));
        }
        return null;
      };

      const url = await waitForOutput(/Dashboard: (\S+)/, 240_000);
      expect(url, out).not.toBeNull();
      const profile = mkdtempSync(join(tmpdir(), 'foreshadow-demo-chromium-'));
      const browser = await chromium.launchPersistentContext(profile, {
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
      try {
        const page = browser.pages()[0] ?? (await browser.newPage());
        await page.goto(url![1]!);
        await page.waitForFunction(() => document.querySelectorAll('.host-tile').length >= 60, null, {
          timeout: 120_000,
        });
        expect(await page.locator('#banner').textContent()).toContain('time ×');
        // Keep the page open through the incident, then keep a picture of what it showed.
        await waitForOutput(/shadow redis-orders-\w+: PROMOTED/, (LIVE_SECONDS - 30) * 1000);
        await new Promise((r) => setTimeout(r, 8_000));
        mkdirSync('test-artifacts', { recursive: true });
        await page.screenshot({ path: 'test-artifacts/demo-dashboard.png', fullPage: true });
      } finally {
        await browser.close();
        rmSync(profile, { recursive: true, force: true });
      }

      const code = await exited;
      expect(code, out).toBe(0);
      for (const app of [
        'metric-ingest',
        'failure-risk',
        'shadow-manager',
        'actuator-redis',
        'actuator-haproxy',
        'api',
      ])
        expect(out).toMatch(new RegExp(`ready\\s+${app} \\(`));
      const line = /\[foreshadow\] summary (\{.*\})/.exec(out);
      expect(line, out).not.toBeNull();
      const summary = JSON.parse(line![1]!) as DemoSummary;
      const tail = out.split('\n').slice(-80).join('\n');
      expect(summary.samples).toBeGreaterThan(1000);
      expect(summary.failures).toBeGreaterThan(0);
      // The story: the Redis on the leaking host got a shadow that became READY, then PROMOTED.
      const orders = Object.entries(summary.shadows).find(([id]) => id.startsWith('redis-orders-'));
      expect(orders, `${JSON.stringify(summary.shadows)}\n${tail}`).toBeDefined();
      expect(orders![1]).toContain('READY');
      expect(orders![1]).toContain('PROMOTED');
      const client = Object.entries(summary.client).find(([id]) => id.startsWith('redis-orders-'))![1];
      expect(client.acked).toBeGreaterThan(100);
      // Nothing it started is left running.
      expect(summary.pids.length).toBeGreaterThanOrEqual(9);
      for (const pid of summary.pids) expect(alive(pid), `pid ${pid} still alive`).toBe(false);
    },
    (LIVE_SECONDS + 420) * 1000,
  );
});
