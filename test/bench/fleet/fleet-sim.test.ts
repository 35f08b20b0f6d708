import { describe, expect, it } from 'vitest';
import { fleetStudy } from '../../../bench/fleet/fleet-report.js';
import { FleetSimulator } from '../../../bench/fleet/fleet-sim.js';

describe('fleet simulator', () => {
  it('is deterministic per seed and breaks faulty hosts at their breaking point', () => {
    const run = (seed: number) => {
      const sim = new FleetSimulator({ hosts: 20, seed, durationMs: 2 * 86_400_000, quietMs: 12 * 3_600_000 });
      let samples = 0;
      const failures: string[] = [];
      for (const step of sim.run()) {
        samples += step.samples.length;
        for (const f of step.failures) failures.push(`${f.host}:${f.kind}`);
        for (const s of step.samples) {
          expect(s.metrics['cpu.utilization']).toBeGreaterThanOrEqual(0);
          expect(s.metrics['mem.utilization']).toBeLessThanOrEqual(1);
        }
      }
      return { samples, failures, hosts: sim.hosts };
    };
    const a = run(9);
    expect(run(9)).toEqual(a);
    expect(run(10).samples).not.toBe(0);
    // 20% of 20 hosts are faulty, one per fault kind in turn; all of them break within the run
    expect(a.hosts.filter((h) => h.fault !== null)).toHaveLength(4);
    expect(a.failures.sort()).toEqual(['sim-0000:MEMORY', 'sim-0001:DISK', 'sim-0002:OTHER', 'sim-0003:CRASH']);
    expect(a.hosts.filter((h) => h.fault === null).every((h) => h.failedAt === null)).toBe(true);
  });
});

describe('risk over a fleet of 200 simulated hosts with diurnal load', () => {
  it('warns well before predictable failures, rarely on steady hosts, and is calibrated on a held-out fleet', () => {
    const study = fleetStudy(200, 1, 2);
    const h = study.heldOut;
    console.log(
      JSON.stringify({
        heldOut: {
          detected: h.detected,
          of: h.predictableFailures,
          leadTimesMin: h.leadTimesMin,
          byFault: h.byFault,
          falseAlarmRate: h.falseAlarmRate,
          brier: h.brier,
        },
        climatologyBrier: study.climatologyBrier,
        priorOnly: study.priorOnlyHeldOut,
      }),
    );
    expect(h.hosts).toBe(200);
    expect(h.predictableFailures).toBeGreaterThanOrEqual(25);
    // every leak, filling disk and error storm reaches WARNING before the host dies...
    expect(h.detected).toBe(h.predictableFailures);
    // ...with time to act: at least 15 min (3 samples) each, typically over an hour
    expect(h.leadTimesMin!.min).toBeGreaterThanOrEqual(15);
    expect(h.leadTimesMin!.median).toBeGreaterThanOrEqual(60);
    // sudden crashes have no precursor and are not claimed
    expect(h.byFault['sudden-crash']!.detected).toBe(0);
    // steady hosts (benign bursts, cache steps, log rotation included) stay quiet
    expect(h.falseAlarmRate).toBeLessThanOrEqual(0.05);
    // calibration: better than always predicting the base rate and no worse than the untrained
    // prior, while learning cut the prior's false alarms
    expect(h.brier).toBeLessThan(study.climatologyBrier);
    expect(h.brier).toBeLessThanOrEqual(study.priorOnlyHeldOut.brier);
    expect(h.falseAlarmRate).toBeLessThan(study.priorOnlyHeldOut.falseAlarmRate);
    const top = h.reliability[h.reliability.length - 1]!;
    expect(top.count).toBeGreaterThan(0);
    expect(Math.abs(top.meanPredicted - top.observedRate)).toBeLessThan(0.2);
  }, 600_000);
});
