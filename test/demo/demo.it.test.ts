/**
 * `npm start -- --duration N` end to end on the real stack: every app becomes ready as a child
 * process, the simulated fleet and the real Redis/HAProxy run, the dashboard is served and shows the
 * fleet in Chromium, the run stops by itself, and no process it started survives it. The story is
 * asserted from the terminal narration and the run's summary line, in order: the Redis primary's
 * host is predicted to fail (risk WARNING/CRITICAL), a shadow is placed in another zone and is READY
 * before the host dies, the host dies and its redis-server is killed, the shadow is promoted,
 * HAProxy is switched to it and the client's writes recover on it.
 *
 * Time runs ×100 (the default is ×30) so the scripted death comes ~80 s into the live fleet and the
 * whole test stays under 4 minutes (at ×120 the shadow was READY only ~23 s before the death); test/demo/story.test.ts checks the same story in process at ×30.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { DemoSummary } from '../../demo/demo.js';
import { alive, freePort } from '../../demo/real-processes.js';
import { brokers, registryUrl } from '../support/kafka.js';

/** Live fleet: the death comes 132 sim minutes in (~80 s at ×100), then promotion and recovery. */
const LIVE_SECONDS = 110;
const ACCELERATION = 100;

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
          'demo',
          '--duration',
          String(LIVE_SECONDS),
          '--api-port',
          String(apiPort),
          '--acceleration',
          String(ACCELERATION),
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
      // The narration is the story's record: kept beside the screenshot.
      mkdirSync('test-artifacts', { recursive: true });
      writeFileSync('test-artifacts/demo-output.log', out);
      expect(code, out).toBe(0);
      for (const app of [
        'metric-ingest',
        'failure-risk',
        'shadow-manager',
        'actuators:redis',
        'actuators:haproxy',
        'api',
      ])
        expect(out).toMatch(new RegExp(`ready\\s+${app} \\(`));
      const line = /\[foreshadow\] summary (\{.*\})/.exec(out);
      expect(line, out).not.toBeNull();
      const summary = JSON.parse(line![1]!) as DemoSummary;
      expect(summary.samples).toBeGreaterThan(1000);
      expect(summary.failures).toBeGreaterThan(0);

      // The story, milestone by milestone, in the order the terminal told it.
      const primary = /(redis-orders-\w+): redis-server :\d+ \(pid \d+\) on host (\S+),/.exec(out);
      expect(primary, out).not.toBeNull();
      const [, resource, host] = primary as unknown as [string, string, string];
      const at = (re: RegExp): number => {
        const m = re.exec(out);
        expect(m, `${re}\n${out}`).not.toBeNull();
        return m!.index;
      };
      const warned = at(new RegExp(`risk ${host}: \\w+ → (WARNING|CRITICAL) \\(pFail `));
      const readyMatch = new RegExp(
        `shadow ${resource}: READY ${host} \\[(\\S+)\\] → (\\S+) \\[(\\S+)\\] \\(127\\.0\\.0\\.1:(\\d+)\\) lag \\d+ B`,
      ).exec(out);
      expect(readyMatch, out).not.toBeNull();
      const ready = readyMatch!;
      const [, primaryZone, , shadowZone, shadowPort] = ready as unknown as [string, string, string, string, string];
      expect(shadowZone).not.toBe(primaryZone);
      const died = at(new RegExp(`host failed: ${host} `));
      const killed = at(new RegExp(`${host} is gone \\(\\w+\\): SIGKILL its redis-server :\\d+ \\(${resource}\\)`));
      const promoted = at(new RegExp(`failover HOST ${host}: SHADOW_PROMOTED ${resource} → `));
      const redirected = at(new RegExp(`failover HOST ${host}: TRAFFIC_REDIRECTED ${resource} → `));
      const recovered = at(
        new RegExp(`${resource}: writes failed for \\d+ ms \\(\\d+ failed ops\\); now served by redis :${shadowPort}`),
      );
      expect(warned).toBeLessThan(ready.index);
      // Predicted, not reactive: the shadow was READY before the host died.
      expect(ready.index).toBeLessThan(died);
      expect(died).toBeLessThan(killed);
      expect(killed).toBeLessThan(promoted);
      expect(promoted).toBeLessThan(redirected);
      // The client's recovery is reported on the next status tick, the failover steps as the event
      // tail reads them: HAProxy's health check may route writes to the promoted shadow before the
      // TRAFFIC_REDIRECTED event is printed, so only "after the kill" is an ordering guarantee.
      expect(killed).toBeLessThan(recovered);
      const states = summary.shadows[resource] ?? [];
      expect(states.indexOf('READY'), JSON.stringify(summary.shadows)).toBeGreaterThanOrEqual(0);
      expect(states.indexOf('PROMOTED')).toBeGreaterThan(states.indexOf('READY'));
      const client = summary.client[resource]!;
      expect(client.acked).toBeGreaterThan(100);
      expect(client.servedBy).toBe(Number(shadowPort));
      expect(client.outages.length).toBeGreaterThan(0);
      for (const o of client.outages) expect(o.ms, 'every outage ended').not.toBeNull();
      // The run's Redis resources were withdrawn and their shadows forgotten (a tombstone on
      // shadow.state), so the next run's dashboard does not list them.
      expect(out).toMatch(/withdrew 3 Redis deployments; the shadows of [1-3] are retired and forgotten/);
      // Shadows earlier runs left behind are withdrawn at start (none on a fresh stack).
      const left = /withdrew (\d+) Redis resource\(s\) left by earlier runs/.exec(out);
      if (left) expect(out).not.toMatch(/left by earlier runs \(not yet confirmed/);
      // Nothing it started is left running.
      expect(summary.pids.length).toBeGreaterThanOrEqual(9);
      for (const pid of summary.pids) expect(alive(pid), `pid ${pid} still alive`).toBe(false);
    },
    (LIVE_SECONDS + 420) * 1000,
  );
});
