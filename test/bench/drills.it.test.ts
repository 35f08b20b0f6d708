/**
 * The host failover drill and the region failover model in their short (CI) form, run as `npm run`
 * would run them: real Redis, Sentinel and HAProxy processes, the real shadow-manager and actuator
 * processes on the broker for the failover drill; the simulated actuator on a virtual clock for
 * the region model. Both write their JSON into a temporary folder: a test never overwrites the
 * committed figures in bench/results/. (The measured region drill: region-drill.it.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FailoverDrillResult } from '../../bench/failover/drill.js';
import type { RegionDrillResult } from '../../bench/region-failover/model/drill.js';
import { brokers, registryUrl } from '../support/kafka.js';

const dir = mkdtempSync(join(tmpdir(), 'foreshadow-drills-'));
const COMMITTED = ['bench/results/failover.json', 'bench/results/region-failover-model.json'];
const committedBefore = COMMITTED.map((f) => readFileSync(f, 'utf8'));

function run(script: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, KAFKA_BROKERS: brokers().join(','), SCHEMA_REGISTRY_URL: registryUrl() },
    timeout: 600_000,
  });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe('drills (short form)', () => {
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    // Neither drill touched the committed results.
    for (const [i, f] of COMMITTED.entries()) expect(readFileSync(f, 'utf8'), f).toBe(committedBefore[i]);
  });

  it('failover: Foreshadow detecting on its own and Sentinel at the same settings, same faults, figures printed and written', () => {
    const out = join(dir, 'failover.json');
    const { code, out: printed } = run('bench/failover/run.ts', ['--short', '--no-sentinel-default', '--out', out]);
    console.log(
      printed
        .split('\n')
        .filter((l) => l.startsWith('|') || l.includes('timeline') || l.startsWith('load'))
        .join('\n'),
    );
    expect(code, printed).toBe(0);
    expect(printed).toContain('| case | unavailable (ms) |');
    expect(printed).toContain(`written ${out}`);
    const r = JSON.parse(readFileSync(out, 'utf8')) as FailoverDrillResult;
    // Two detection settings (1 s, 250 ms), each run by Foreshadow and by Sentinel.
    expect(r.cases.map((c) => [c.system, c.detection.downAfterMs])).toEqual([
      ['foreshadow', 1_000],
      ['sentinel', 1_000],
      ['foreshadow', 250],
      ['sentinel', 250],
    ]);
    for (const c of r.cases) {
      // The pause shorter than down-after failed nothing over, and the kill was then recovered.
      expect(c.summary.falseFailovers, c.name).toBe(0);
      expect(c.killToFirstWriteMs, c.name).not.toBeNull();
      expect(c.newPrimaryServing, c.name).toBe(true);
      expect(c.ackedWrites, c.name).toBeGreaterThan(100);
      // Run whatever lag was reported: no acknowledged write lost beyond it.
      expect(c.summary.lostBeyondReportedLag, c.name).toBe(0);
      // Detection, then the promotion as the new primary's ROLE showed it (the same watch for both).
      expect(c.timeline.detectedMs, c.name).toBeGreaterThan(0);
      expect(c.timeline.promotedMs, c.name).toBeGreaterThan(c.timeline.detectedMs!);
    }
    for (const fs of r.cases.filter((c) => c.system === 'foreshadow')) {
      // Foreshadow detected the kill itself (a host.failures record from its quorum judge), then
      // went through the real pipeline: shadow READY before the kill, PROMOTE then REDIRECT.
      expect(fs.timeline.shadowReadyMs).toBeGreaterThan(0);
      expect(fs.timeline.detectedMs).toBeGreaterThan(0);
      expect(fs.timeline.promoteResultMs).toBeGreaterThan(fs.timeline.detectedMs!);
      // HAProxy checks the role, so the manager also redirected with the promotion (earlyRedirect).
      expect(fs.timeline.earlyRedirectResultMs).toBeGreaterThan(fs.timeline.detectedMs!);
      expect(fs.timeline.redirectResultMs).toBeGreaterThanOrEqual(fs.timeline.promoteResultMs!);
      expect(fs.notes.some((n) => n.includes('quorum 2'))).toBe(true);
    }
  });

  it('region model: warm (blueprint) and cold failover times from the simulated actuator, figures printed and written', () => {
    const out = join(dir, 'region-failover-model.json');
    const { code, out: printed } = run('bench/region-failover/model/run-model.ts', ['--short', '--out', out]);
    console.log(
      printed
        .split('\n')
        .filter((l) => l.startsWith('|') || l.startsWith('speed-up'))
        .join('\n'),
    );
    expect(code, printed).toBe(0);
    expect(printed).toContain('MODEL: simulated delays on a virtual clock, not a measurement');
    expect(printed).toContain('| region failover (median of 10 runs, range) | services ready after | how |');
    const r = JSON.parse(readFileSync(out, 'utf8')) as RegionDrillResult & { model: boolean };
    expect(r.model).toBe(true);
    expect(r.runs).toBe(10);
    expect(r.warm.min).toBeGreaterThan(0);
    expect(r.cold.min).toBeGreaterThan(0);
    // Through the orchestrator: one capacity launch, then batches of starts, every unit ready.
    expect(r.warm.first.unitsReady).toBe(r.blueprint.units);
    expect(r.warm.first.launchCommands).toBeGreaterThanOrEqual(2);
    expect(r.warm.first.launchCommands).toBeLessThanOrEqual(r.blueprint.units + 1);
    expect(r.blueprint.recall).toBeGreaterThan(0.8);
    // What the model says (its parameters decide it; the measured drill is region-drill.it.test.ts):
    // the warm failover beats the cold one, even the kindest cold case and even through an actuator
    // that runs a region's commands one at a time, and it beats the level-by-level launch the
    // orchestrator did before. Medians over the runs (the virtual clock makes them exact for the seed).
    expect(r.warm.median).toBeLessThan(r.cold.median);
    expect(r.warm.median).toBeLessThan(r.coldWaiting.median);
    expect(r.warmSerialActuator.median).toBeLessThan(r.coldWaiting.median);
    expect(r.warm.median).toBeLessThan(r.warmLevelByLevel.median);
  });

  it('refuses unknown flags instead of ignoring them (and writes nothing)', () => {
    for (const script of ['bench/failover/run.ts', 'bench/region-failover/model/run-model.ts']) {
      const { code, out } = run(script, ['--shrot']);
      expect(code, script).not.toBe(0);
      expect(out).toContain(`unknown argument --shrot`);
    }
  });
});
