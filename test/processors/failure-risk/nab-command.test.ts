import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNabCorpus, NAB_METRIC, parseNabTimestamp, replaySeries } from '../../../bench/nab/nab-corpus.js';
import { command } from '../../../cli/commands/nab.js';
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { HostRisk } from '../../../schemas/records/host-risk.js';
import type { HostSample } from '../../../schemas/records/host-sample.js';
import { SAMPLES_TOPIC } from '../../../streams/catalogue.js';
import { newHostScorer, scoreHostSample } from '../../../streams/processors/failure-risk/anomaly-scorer.js';
import { HOST_STORE } from '../../../streams/processors/failure-risk/names.js';
import type { DeploymentInput } from '../../../streams/processors/failure-risk/processor.js';
import type { HostRiskState } from '../../../streams/processors/failure-risk/risk-engine.js';
import { buildFailureRiskTopology } from '../../../streams/processors/failure-risk/topology.js';
import { jsonSerde } from '../../../streams/runtime/serdes.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';

const pad = (n: number) => String(n).padStart(2, '0');
const stamp = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};

describe('foreshadow nab', () => {
  let dir = '';
  const T0 = Date.UTC(2014, 3, 1);
  const STEP = 5 * 60_000;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nab-'));
    await mkdir(join(dir, 'data', 'synthetic'), { recursive: true });
    // a daily sine with a level shift at row 1500 (window 1450..1550)
    const rows = Array.from(
      { length: 2000 },
      (_, i) =>
        `${stamp(T0 + i * STEP)},${(10 + 3 * Math.sin((2 * Math.PI * i) / 288) + (i >= 1500 ? 15 : 0) + 0.1 * Math.sin(i * 7.3)).toFixed(4)}`,
    );
    await writeFile(join(dir, 'data', 'synthetic', 'shift.csv'), `timestamp,value\n${rows.join('\n')}\n`);
    await writeFile(
      join(dir, 'combined_windows.json'),
      JSON.stringify({
        'synthetic/shift.csv': [[`${stamp(T0 + 1450 * STEP)}.000000`, `${stamp(T0 + 1550 * STEP)}.000000`]],
      }),
    );
    await writeFile(
      join(dir, 'profiles.json'),
      JSON.stringify({ standard: { CostMatrix: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1, tnWeight: 1 } } }),
    );
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses NAB timestamps as UTC, with or without fractions', () => {
    expect(parseNabTimestamp('2014-04-10 07:15:00')).toBe(Date.UTC(2014, 3, 10, 7, 15));
    expect(parseNabTimestamp('2014-04-10 07:15:00.000000')).toBe(Date.UTC(2014, 3, 10, 7, 15));
  });

  it('writes mirrored result files and scores them', async () => {
    const out = join(dir, 'results');
    expect(await command.run(['--data', dir, '--out', out])).toBe(0);
    const csv = (await readFile(join(out, 'synthetic', 'foreshadow_shift.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('timestamp,value,anomaly_score,label');
    expect(csv).toHaveLength(2001);
    const rows = csv.slice(1).map((l) => l.split(','));
    expect(rows.filter((r) => r[3] === '1')).toHaveLength(101);
    const scores = rows.map((r) => Number(r[2]));
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(Math.max(...scores.slice(1500, 1551))).toBeGreaterThan(Math.max(...scores.slice(400, 1450)));
    const report = JSON.parse(await readFile(join(out, 'scores.json'), 'utf8')) as {
      results: Array<{ profile: string; normalised: number; tp: number }>;
    };
    expect(report.results[0]!.profile).toBe('standard');
    expect(report.results[0]!.tp).toBe(1);
    expect(report.results[0]!.normalised).toBeGreaterThan(50);
  });

  it('is deterministic: replaying twice gives identical scores', () => {
    const [series] = loadNabCorpus(dir);
    const a = replaySeries(series!);
    const b = replaySeries(series!);
    expect(a.scores).toEqual(b.scores);
    expect(a.scores).toHaveLength(2000);
  });

  it('scores with the very scorer the live failure-risk processor runs: same state, same outputs', async () => {
    const [series] = loadNabCorpus(dir);
    const s = series!;
    // the NAB replay...
    const replayed = newHostScorer();
    const { scores } = replaySeries(s, undefined, replayed);
    // ...is scoreHostSample point by point, whose graded evidence is what the risk model reads
    const direct = newHostScorer();
    const outputs = s.values.map((v, i) =>
      scoreHostSample(direct, { timestamp: s.timestamps[i]!, metrics: { [NAB_METRIC]: v } }),
    );
    expect(scores).toEqual(outputs.map((o) => o.score));
    expect(scores.filter((x) => x === 1).length).toBeGreaterThan(0);

    // the live processor, fed the same rows as host samples, ends with the same scorer state
    const topology = buildFailureRiskTopology({
      sampleSerde: jsonSerde<HostSample>(),
      failureSerde: jsonSerde<HostFailure>(),
      deploymentSerde: jsonSerde<DeploymentInput | null>(),
      riskSerde: jsonSerde<HostRisk>(),
    });
    const driver = new TopologyTestDriver(topology, { initialWallClockMs: s.timestamps[0]! });
    const host = 'synthetic/shift';
    for (let i = 0; i < s.values.length; i++) {
      const sample: HostSample = {
        host,
        region: '',
        zone: '',
        timestamp: s.timestamps[i]!,
        metrics: { [NAB_METRIC]: s.values[i]! },
        tags: {},
        source: 'json',
      };
      await driver.pipeInput(SAMPLES_TOPIC, host, sample, s.timestamps[i]!);
    }
    const state = (await driver.getKeyValueStore<string, HostRiskState>(HOST_STORE).get(host))!;
    expect(state.features.scorer).toStrictEqual(replayed);
    // and its anomaly feature at each sample it still holds is the scorer's evidence there
    const evidenceAt = new Map(outputs.map((o, i) => [s.timestamps[i]!, o.evidence]));
    expect(state.pending.length).toBeGreaterThan(0);
    for (const e of state.pending) expect(e.x.anomaly).toBe(evidenceAt.get(e.t));
  });

  it('with --cv, reports the leave-one-group-out cross-validated scores next to the in-sample ones', async () => {
    const cvDir = await mkdtemp(join(tmpdir(), 'nab-cv-'));
    try {
      const windows: Record<string, Array<[string, string]>> = {};
      for (const [group, at] of [
        ['one', 1500],
        ['two', 1300],
      ] as const) {
        await mkdir(join(cvDir, 'data', group), { recursive: true });
        const rows = Array.from(
          { length: 2000 },
          (_, i) =>
            `${stamp(T0 + i * STEP)},${(10 + 3 * Math.sin((2 * Math.PI * i) / 288) + (i >= at ? 15 : 0) + 0.1 * Math.sin(i * 7.3)).toFixed(4)}`,
        );
        await writeFile(join(cvDir, 'data', group, 'shift.csv'), `timestamp,value\n${rows.join('\n')}\n`);
        windows[`${group}/shift.csv`] = [[stamp(T0 + (at - 50) * STEP), stamp(T0 + (at + 50) * STEP)]];
      }
      await writeFile(join(cvDir, 'combined_windows.json'), JSON.stringify(windows));
      await writeFile(
        join(cvDir, 'profiles.json'),
        JSON.stringify({ standard: { CostMatrix: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1, tnWeight: 1 } } }),
      );
      const out = join(cvDir, 'results');
      expect(await command.run(['--data', cvDir, '--out', out, '--cv'])).toBe(0);
      const report = JSON.parse(await readFile(join(out, 'scores.json'), 'utf8')) as {
        results: Array<{ normalised: number }>;
        crossValidation: {
          folds: Array<{ heldOut: string; trainGroups: string[]; candidate: string }>;
          pooled: Array<{ profile: string; normalised: number; tp: number }>;
          inSample: { candidate: string; results: Array<{ normalised: number }> };
        };
      };
      const cv = report.crossValidation;
      expect(cv.folds.map((f) => [f.heldOut, f.trainGroups])).toEqual([
        ['one', ['two']],
        ['two', ['one']],
      ]);
      expect(cv.folds.every((f) => f.candidate.startsWith('gate='))).toBe(true);
      expect(cv.pooled.map((r) => r.profile)).toEqual(['standard']);
      // both shifts are plain enough for every fold's choice to find them
      expect(cv.pooled[0]!.tp).toBe(2);
      expect(cv.inSample.results[0]!.normalised).toBeGreaterThanOrEqual(cv.pooled[0]!.normalised);
    } finally {
      await rm(cvDir, { recursive: true, force: true });
    }
  }, 120_000);
});
