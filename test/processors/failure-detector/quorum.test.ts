/**
 * The quorum judge's rule (streams/processors/failure-detector/quorum.ts) and the processor around
 * it (TopologyTestDriver, JSON serdes): a dead resource is declared once on a quorum of vantages;
 * one slow prober, one partitioned prober, a flapping resource, a pause shorter than down-after
 * and a resource that answers again before quorum never are.
 */
import { describe, expect, it } from 'vitest';
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { ProbeOutcome, ResourceProbe } from '../../../schemas/records/resource-probe.js';
import { failureDetectorOptions } from '../../../streams/processors/failure-detector/options.js';
import {
  judge,
  type QuorumPolicy,
  type TargetVerdict,
  targetKey,
  votesDown,
} from '../../../streams/processors/failure-detector/quorum.js';
import { buildFailureDetectorTopology } from '../../../streams/processors/failure-detector/topology.js';
import { jsonSerde } from '../../../streams/runtime/serdes.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';

/** In the past: the topic's validator refuses event times far ahead of the wall clock. */
const T0 = Date.UTC(2026, 0, 1);
const policy: QuorumPolicy = failureDetectorOptions({ quorum: 2 });

interface ProbeAt {
  vantage: string;
  /** Start, ms after T0. */
  at: number;
  outcome: ProbeOutcome;
  /** Duration (default 1 ms; a timeout lasts its timeout). */
  took?: number;
  address?: string;
}

function obs(p: ProbeAt, timing = { intervalMs: 1_000, downAfterMs: 1_000 }): ResourceProbe {
  const took = p.took ?? 1;
  return {
    resourceId: 'redis-1',
    host: 'h1',
    region: 'r1',
    kind: 'redis',
    address: p.address ?? '10.0.0.1:6379',
    vantage: p.vantage,
    method: 'REDIS_ROLE',
    outcome: p.outcome,
    expectedRole: 'master',
    observedRole: p.outcome === 'OK' ? 'master' : '',
    startedAt: T0 + p.at,
    timestamp: T0 + p.at + took,
    latencyMs: took,
    ...timing,
    detail: '',
  };
}

/** Probes of several vantages, judged in finish-time order; returns the failures and the last verdict. */
function run(
  probes: ProbeAt[],
  p: QuorumPolicy = policy,
  timing?: { intervalMs: number; downAfterMs: number },
): { failures: HostFailure[]; verdict: TargetVerdict | undefined; transitions: string[] } {
  const sorted = probes.map((x) => obs(x, timing)).sort((a, b) => a.timestamp - b.timestamp);
  let verdict: TargetVerdict | undefined;
  const failures: HostFailure[] = [];
  const transitions: string[] = [];
  for (const o of sorted) {
    const j = judge(verdict, o, p);
    verdict = j.verdict;
    if (j.failure) failures.push(j.failure);
    if (j.transition) transitions.push(`${j.transition}@${o.timestamp - T0}`);
  }
  return { failures, verdict, transitions };
}

/** `vantage` probes every `every` ms from `from` to `to` (exclusive) with one outcome. */
function series(vantage: string, from: number, to: number, every: number, outcome: ProbeOutcome, took = 1): ProbeAt[] {
  const out: ProbeAt[] = [];
  for (let at = from; at < to; at += every) out.push({ vantage, at, outcome, took });
  return out;
}

describe('quorum judge', () => {
  it('declares a killed resource once, when the second vantage agrees, from the last good answer', () => {
    // Vantages a and b probe every 1 s (b 400 ms out of phase); the process dies at 5,050 ms.
    const probes = [
      ...series('a', 0, 5_050, 1_000, 'OK'),
      ...series('a', 6_000, 12_000, 1_000, 'REFUSED'),
      ...series('b', 400, 5_050, 1_000, 'OK'),
      ...series('b', 5_400, 12_000, 1_000, 'REFUSED'),
    ];
    const { failures, verdict, transitions } = run(probes);
    expect(failures).toHaveLength(1);
    const f = failures[0]!;
    // a: last OK finished at 5,001, first refusal at 6,001 (1 s of silence: a votes). b: last OK at
    // 4,401, first refusal at 5,401 (1 s): b had voted first, so a's vote at 6,001 makes the quorum.
    expect(f.timestamp - T0).toBe(6_001);
    expect(f).toMatchObject({
      host: 'h1',
      region: 'r1',
      resourceId: 'redis-1',
      kind: 'CRASH',
      source: 'failure-detector',
    });
    expect(f.detail).toContain('quorum 2');
    expect(verdict?.status).toBe('DOWN');
    expect(verdict?.declared).toBe(1);
    expect(transitions).toEqual(['SUSPECT@5401', 'DOWN@6001']);
  });

  it("a loaded prober's slow good probe and timer jitter do not cost an extra interval (probe = down-after)", () => {
    // Probes every 1 s, down-after 1 s: the last good probe took 90 ms to be answered and the next
    // one, refused, fired 60 ms early relative to it. Its silence still counts as one interval.
    const probes: ProbeAt[] = [
      { vantage: 'a', at: 0, outcome: 'OK' },
      { vantage: 'a', at: 1_000, outcome: 'OK', took: 90 },
      { vantage: 'a', at: 1_940, outcome: 'REFUSED' },
      { vantage: 'b', at: 500, outcome: 'OK' },
      { vantage: 'b', at: 1_500, outcome: 'REFUSED' },
      { vantage: 'b', at: 2_500, outcome: 'REFUSED' },
    ];
    const { failures } = run(probes);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.timestamp - T0).toBe(1_941);
  });

  it('one vantage alone never declares, however long it sees the resource down (partitioned prober)', () => {
    const probes = [...series('a', 0, 30_000, 1_000, 'REFUSED'), ...series('b', 300, 30_000, 1_000, 'OK')];
    const { failures, verdict } = run(probes);
    expect(failures).toEqual([]);
    expect(verdict?.status).toBe('SUSPECT');
    // With quorum 1 the same probes would have declared it: the quorum is what holds it back.
    expect(run(probes, { ...policy, quorum: 1 }).failures).toHaveLength(1);
  });

  it('one slow prober (its probes time out) does not fail a resource the other vantage sees answering', () => {
    const probes = [
      ...series('a', 0, 3_000, 1_000, 'OK'),
      ...series('a', 3_000, 9_000, 1_000, 'TIMEOUT', 1_000),
      ...series('a', 9_000, 12_000, 1_000, 'OK'),
      ...series('b', 500, 12_000, 1_000, 'OK'),
    ];
    const { failures, verdict, transitions } = run(probes);
    expect(failures).toEqual([]);
    expect(verdict?.status).toBe('UP');
    expect(transitions).toEqual(['SUSPECT@4000', 'RECOVERED@9001']);
  });

  it("a frozen prober's stalled probes are ignored, and its old votes go stale", () => {
    // b votes down, then freezes; long after, a sees the resource down: b's stale vote is not counted.
    const probes: ProbeAt[] = [
      ...series('b', 0, 2_000, 1_000, 'OK'),
      ...series('b', 2_000, 4_000, 1_000, 'REFUSED'),
      { vantage: 'b', at: 4_000, outcome: 'STALLED', took: 20_000 },
      ...series('a', 0, 20_000, 1_000, 'OK'),
      ...series('a', 20_000, 23_000, 1_000, 'REFUSED'),
    ];
    const { failures, verdict } = run(probes);
    expect(failures).toEqual([]);
    expect(verdict?.vantages.b?.lastOutcome).toBe('REFUSED');
    expect(votesDown(verdict!.vantages.a!, verdict!.newestAt, policy)).toBe(true);
    expect(votesDown(verdict!.vantages.b!, verdict!.newestAt, policy)).toBe(false);
  });

  it('a resource answering again before quorum recovers without a failure', () => {
    // Both vantages see refusals for 600 ms (down-after 1 s at 200 ms probes), then answers.
    const timing = { intervalMs: 200, downAfterMs: 1_000 };
    const probes = [
      ...series('a', 0, 1_000, 200, 'OK'),
      ...series('a', 1_000, 1_600, 200, 'REFUSED'),
      ...series('a', 1_600, 4_000, 200, 'OK'),
      ...series('b', 100, 1_100, 200, 'OK'),
      ...series('b', 1_100, 1_700, 200, 'REFUSED'),
      ...series('b', 1_700, 4_000, 200, 'OK'),
    ];
    const { failures, verdict, transitions } = run(probes, policy, timing);
    expect(failures).toEqual([]);
    expect(verdict?.status).toBe('UP');
    expect(transitions).toEqual(['SUSPECT@1001', 'RECOVERED@1701']);
  });

  it('a flapping resource (down for less than down-after each time) is never declared', () => {
    const timing = { intervalMs: 100, downAfterMs: 500 };
    const probes: ProbeAt[] = [];
    for (const v of ['a', 'b']) {
      const phase = v === 'a' ? 0 : 50;
      // 300 ms refused, 200 ms answering, twenty times over.
      for (let cycle = 0; cycle < 20; cycle++) {
        const t = cycle * 500 + phase;
        probes.push(...series(v, t, t + 300, 100, 'REFUSED'), ...series(v, t + 300, t + 500, 100, 'OK'));
      }
    }
    const { failures, transitions } = run(probes, policy, timing);
    expect(failures).toEqual([]);
    expect(transitions.filter((t) => t.startsWith('SUSPECT')).length).toBeGreaterThanOrEqual(19);
  });

  it('a primary paused for less than down-after is not declared; one paused longer is', () => {
    // SIGSTOP from 2,000 ms: a probe started in the pause is answered when it ends (or times out
    // after down-after, 1 s). Probes every 250 ms.
    const timing = { intervalMs: 250, downAfterMs: 1_000 };
    const paused = (pauseMs: number): ProbeAt[] => {
      const out: ProbeAt[] = [];
      for (const [v, phase] of [
        ['a', 0],
        ['b', 120],
      ] as const) {
        let at = phase;
        while (at < 8_000) {
          const inPause = at >= 2_000 && at < 2_000 + pauseMs;
          if (!inPause) {
            out.push({ vantage: v, at, outcome: 'OK' });
            at += 250;
            continue;
          }
          const end = 2_000 + pauseMs;
          // One probe in flight at a time: it waits for the answer or its timeout (= down-after).
          if (end - at < 1_000) {
            out.push({ vantage: v, at, outcome: 'OK', took: end - at });
          } else {
            out.push({ vantage: v, at, outcome: 'TIMEOUT', took: 1_000 });
          }
          at += Math.ceil(Math.min(end - at, 1_000) / 250) * 250;
        }
      }
      return out;
    };
    expect(run(paused(600), policy, timing).failures).toEqual([]);
    expect(run(paused(950), policy, timing).failures).toEqual([]);
    const long = run(paused(3_000), policy, timing);
    expect(long.failures).toHaveLength(1);
    expect(long.failures[0]!.kind).toBe('NETWORK');
  });

  it('minFailedProbes asks for that many failed probes in a row besides the silence', () => {
    const probes = [
      ...series('a', 0, 1_000, 1_000, 'OK'),
      ...series('a', 1_000, 5_000, 1_000, 'REFUSED'),
      ...series('b', 10, 1_000, 1_000, 'OK'),
      ...series('b', 1_010, 5_000, 1_000, 'REFUSED'),
    ];
    expect(run(probes).failures[0]!.timestamp - T0).toBe(1_011);
    expect(run(probes, { ...policy, minFailedProbes: 2 }).failures[0]!.timestamp - T0).toBe(2_011);
    expect(run(probes, { ...policy, minFailedProbes: 3 }).failures[0]!.timestamp - T0).toBe(3_011);
  });

  it('is re-armed once a quorum sees the resource answer, and can then declare it again', () => {
    const probes = [
      ...series('a', 0, 1_000, 500, 'OK'),
      ...series('a', 1_000, 4_000, 500, 'REFUSED'),
      ...series('a', 4_000, 6_000, 500, 'OK'),
      ...series('a', 6_000, 9_000, 500, 'REFUSED'),
      ...series('b', 100, 1_000, 500, 'OK'),
      ...series('b', 1_100, 4_000, 500, 'REFUSED'),
      ...series('b', 4_100, 6_000, 500, 'OK'),
      ...series('b', 6_100, 9_000, 500, 'REFUSED'),
    ];
    const { failures, verdict, transitions } = run(probes, policy, { intervalMs: 500, downAfterMs: 1_000 });
    expect(failures).toHaveLength(2);
    expect(verdict?.declared).toBe(2);
    expect(transitions.filter((t) => /^(DOWN|REARMED)/.test(t)).map((t) => t.split('@')[0])).toEqual([
      'DOWN',
      'REARMED',
      'DOWN',
    ]);
  });

  it('rejects options without a quorum, naming the field', () => {
    expect(() => failureDetectorOptions({ quorum: 0 })).toThrow(/quorum/);
  });
});

describe('failure detector processor', () => {
  function driver(): TopologyTestDriver {
    return new TopologyTestDriver(
      buildFailureDetectorTopology({
        serdes: { probe: jsonSerde<ResourceProbe>(), failure: jsonSerde<HostFailure>() },
        detector: { quorum: 2 },
      }),
    );
  }

  it('publishes one host.failures record (key host, resourceId set) and judges each address apart', async () => {
    const d = driver();
    const send = (p: ProbeAt) => {
      const o = obs(p);
      return d.pipeInput('resource.probes', o.resourceId, o, o.timestamp);
    };
    for (const p of [
      ...series('a', 0, 1_000, 1_000, 'OK'),
      ...series('b', 10, 1_000, 1_000, 'OK'),
      ...series('a', 1_000, 4_000, 1_000, 'REFUSED'),
      ...series('b', 1_010, 4_000, 1_000, 'REFUSED'),
    ].sort((x, y) => x.at - y.at))
      await send(p);
    // The resource now lives at its promoted shadow's address: a new target, answering.
    for (const p of [...series('a', 4_000, 6_000, 1_000, 'OK'), ...series('b', 4_010, 6_000, 1_000, 'OK')].sort(
      (x, y) => x.at - y.at,
    ))
      await send({ ...p, address: '10.0.0.2:6379' });
    const out = d.readOutput<string, HostFailure>('host.failures');
    expect(out).toHaveLength(1);
    expect(out[0]!.key).toBe('h1');
    expect(out[0]!.value).toMatchObject({ resourceId: 'redis-1', kind: 'CRASH' });
    const store = d.getKeyValueStore<string, TargetVerdict>('failure-detector-verdicts');
    expect((await store.get(targetKey('redis-1', '10.0.0.1:6379')))?.status).toBe('DOWN');
    expect((await store.get(targetKey('redis-1', '10.0.0.2:6379')))?.status).toBe('UP');
    await d.close();
  });

  it('dead-letters an absurd observation (finished before it started) with the field named', async () => {
    const d = driver();
    const o = obs({ vantage: 'a', at: 0, outcome: 'OK' });
    await d.pipeInput('resource.probes', o.resourceId, { ...o, startedAt: o.timestamp + 5 }, o.timestamp);
    expect(d.metrics.deadLettered.validation).toBe(1);
    expect(d.readOutput('host.failures')).toEqual([]);
    await d.close();
  });
});
