import { describe, expect, it } from 'vitest';
import { benchDecision } from '../../bench/decision/decision-bench.js';

describe('decision latency benchmark', () => {
  it('times triggering risk records up to the CREATE commands they decide, and routine ones', async () => {
    const report = await benchDecision({ hosts: 300, resources: 1_200, triggers: 5, routine: 20, ticks: 3 });
    expect(report.trigger.count).toBe(5);
    // Every resource of a triggering host (1,200 / 300 = 4) got a shadow placed: the decision was made.
    expect(report.trigger.commandsPerTrigger).toBe(4);
    expect(report.routine.count).toBe(20);
    expect(report.tick.count).toBe(3);
    expect(report.trigger.p50Ms).toBeGreaterThan(0);
    expect(report.trigger.p99Ms).toBeGreaterThanOrEqual(report.trigger.p50Ms);
    expect(report.command).toBe('npm run bench:decision');
  });

  it('refuses a fleet with fewer resources than hosts', async () => {
    await expect(benchDecision({ hosts: 10, resources: 5, triggers: 1, routine: 1, ticks: 1 })).rejects.toThrow(
      /--resources/,
    );
  });
});
