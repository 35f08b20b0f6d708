/**
 * The failover drill's arithmetic (bench/failover/measure.ts, drill.ts): the size of a write in the
 * replication stream, lost writes compared with the reported lag, spreads over trials, the case
 * summary and the README table. The drill itself runs in test/bench/drills.it.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { caseResult, failoverTable, sentinelSettings } from '../../bench/failover/drill.js';
import { setCommandBytes, spread } from '../../bench/failover/measure.js';
import type { KillTrial, Trial } from '../../bench/failover/types.js';

function kill(over: Partial<KillTrial> = {}): KillTrial {
  return {
    unavailabilityMs: 700,
    killToFirstWriteMs: 690,
    outageStartVsKillMs: -10,
    failedOps: 3,
    ackedWrites: 1_000,
    lostAckedWrites: 0,
    lagAllowanceWrites: 0,
    lostBeyondReportedLag: 0,
    reportedLagBytes: 0,
    measuredLagBytesAtKill: 0,
    newPrimaryServing: true,
    timeline: { detectedMs: 250, promotedMs: 480, redirectedMs: 620, firstWriteMs: 690 },
    notes: [],
    ...over,
  };
}

const pause = { pauseMs: 150, watchedMs: 3_650, failovers: 0, failuresDeclared: 0, clientOutageMs: 0 };

describe('failover drill figures', () => {
  it('sizes a SET in the replication stream as RESP does', () => {
    // *3\r\n $3\r\nSET\r\n $5\r\nfs:42\r\n $2\r\n42\r\n
    expect(setCommandBytes('fs:42', '42')).toBe(4 + 9 + 11 + 8);
  });

  it('takes medians and ranges over trials, ignoring missing figures', () => {
    expect(spread([300, null, 100, 200])).toEqual({ median: 200, min: 100, max: 300, n: 3 });
    expect(spread([100, 200])).toEqual({ median: 150, min: 100, max: 200, n: 2 });
    expect(spread([undefined, null])).toEqual({ median: null, min: null, max: null, n: 0 });
  });

  it('summarises a case over its trials (false failovers and lost writes summed) and tabulates it', () => {
    const trials: Trial[] = [
      { falsePositive: pause, kill: kill() },
      { falsePositive: { ...pause, failovers: 1 }, kill: null },
      { falsePositive: pause, kill: kill({ unavailabilityMs: 900, lostAckedWrites: 2, lostBeyondReportedLag: 1 }) },
    ];
    const c = caseResult('Foreshadow, test', 'foreshadow', { probeIntervalMs: 250, downAfterMs: 250 }, trials);
    expect(c.summary).toMatchObject({
      unavailabilityMs: { median: 800, min: 700, max: 900, n: 2 },
      detectedMs: { median: 250, n: 2 },
      falseFailovers: 1,
      ackedWrites: 2_000,
      lostAckedWrites: 2,
      lostBeyondReportedLag: 1,
    });
    // The flat figures are the first kill's.
    expect(c.unavailabilityMs).toBe(700);
    expect(c.newPrimaryServing).toBe(true);
    const table = failoverTable({
      when: '',
      short: true,
      trials: 3,
      load: { before: '', after: '' },
      cases: [c],
    });
    expect(table.split('\n')[2]).toBe(
      '| Foreshadow, test | 800 (700–900) | 250 | 480 | 620 | 690 | 1 (3 × 150 ms) | 2 (1) / 2000 |',
    );
  });

  it('gives Sentinel the PING period it uses: every second, or every down-after when shorter', () => {
    expect(sentinelSettings(1_000)).toEqual({ probeIntervalMs: 1_000, downAfterMs: 1_000 });
    expect(sentinelSettings(250)).toEqual({ probeIntervalMs: 250, downAfterMs: 250 });
    expect(sentinelSettings(30_000)).toEqual({ probeIntervalMs: 1_000, downAfterMs: 30_000 });
  });
});
