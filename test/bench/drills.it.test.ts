/**
 * Both drills in their short (CI) form, run as `npm run` would run them: real Redis, Sentinel and
 * HAProxy processes, the real shadow-manager and actuator processes on the broker for the failover
 * drill; the simulated actuator for the region drill. Asserts the figures they print and write.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FailoverDrillResult } from '../../bench/failover/drill.js';
import type { RegionDrillResult } from '../../bench/region-failover/drill.js';
import { brokers, registryUrl } from '../support/kafka.js';

function run(script: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, KAFKA_BROKERS: brokers().join(','), SCHEMA_REGISTRY_URL: registryUrl() },
    timeout: 600_000,
  });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe('drills (short form)', () => {
  it('failover: Foreshadow and tuned Sentinel both recover the same SIGKILL, figures printed and written', () => {
    const { code, out } = run('bench/failover/run.ts', ['--short', '--no-sentinel-default']);
    console.log(
      out
        .split('\n')
        .filter((l) => l.startsWith('|') || l.includes('timeline'))
        .join('\n'),
    );
    expect(code, out).toBe(0);
    expect(out).toContain('| case | unavailable (ms) |');
    const r = JSON.parse(readFileSync('bench/results/failover.json', 'utf8')) as FailoverDrillResult;
    expect(r.cases).toHaveLength(2);
    const [fs, sentinel] = r.cases as [FailoverDrillResult['cases'][0], FailoverDrillResult['cases'][0]];
    for (const c of [fs, sentinel]) {
      expect(c.killToFirstWriteMs).not.toBeNull();
      expect(c.newPrimaryServing).toBe(true);
      expect(c.ackedWrites).toBeGreaterThan(100);
    }
    // Foreshadow went through the real pipeline: the shadow was READY before the kill, then the
    // PROMOTE and REDIRECT results came back from the actuators.
    expect(fs.timeline.shadowReadyMs).toBeGreaterThan(0);
    expect(fs.timeline.promoteResultMs).toBeGreaterThan(0);
    expect(fs.timeline.redirectResultMs).toBeGreaterThanOrEqual(fs.timeline.promoteResultMs!);
    // No acknowledged write lost beyond the replication lag Foreshadow reported before the kill.
    if ((fs.reportedLagBytes ?? 0) === 0) expect(fs.lostAckedWrites).toBe(0);
  });

  it('region: warm (blueprint) and cold failover times from the simulated actuator, figures printed and written', () => {
    const { code, out } = run('bench/region-failover/run.ts', ['--short']);
    console.log(
      out
        .split('\n')
        .filter((l) => l.startsWith('|') || l.startsWith('speed-up'))
        .join('\n'),
    );
    expect(code, out).toBe(0);
    expect(out).toContain('| region failover (median of 10 runs, range) | services ready after | how |');
    const r = JSON.parse(readFileSync('bench/results/region-failover.json', 'utf8')) as RegionDrillResult;
    expect(r.runs).toBe(10);
    expect(r.warm.min).toBeGreaterThan(0);
    expect(r.cold.min).toBeGreaterThan(0);
    // Through the orchestrator: one capacity launch, then batches of starts, every unit ready.
    expect(r.warm.first.unitsReady).toBe(r.blueprint.units);
    expect(r.warm.first.launchCommands).toBeGreaterThanOrEqual(2);
    expect(r.warm.first.launchCommands).toBeLessThanOrEqual(r.blueprint.units + 1);
    expect(r.blueprint.recall).toBeGreaterThan(0.8);
    // The point of the blueprint (seed 004): the warm failover beats the cold one, even the kindest
    // cold case and even through an actuator that runs a region's commands one at a time, and it
    // beats the level-by-level launch the orchestrator did before. Medians over the runs (the
    // drill's virtual clock makes them exact for the seed, however loaded the machine).
    expect(r.warm.median).toBeLessThan(r.cold.median);
    expect(r.warm.median).toBeLessThan(r.coldWaiting.median);
    expect(r.warmSerialActuator.median).toBeLessThan(r.coldWaiting.median);
    expect(r.warm.median).toBeLessThan(r.warmLevelByLevel.median);
  });
});
