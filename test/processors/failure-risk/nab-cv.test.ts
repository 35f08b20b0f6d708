import { describe, expect, it } from 'vitest';
import { type CandidateRun, chooseThreshold, crossValidate, groupOf } from '../../../bench/nab/nab-cv.js';
import { type ScoredSeries, scoreCorpusAt, sweepSeries } from '../../../bench/nab/nab-scorer.js';

const standard = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 };
const profiles = { standard, reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 } };
const MIN = 60_000;
const N = 1000;

/** A file of `group` with one window at 600..699, scored by `score(i)`. */
function file(group: string, k: number, score: (i: number) => number): ScoredSeries {
  const timestamps = Array.from({ length: N }, (_, i) => i * MIN);
  return {
    name: `${group}/f${k}.csv`,
    timestamps,
    windows: [[600 * MIN, 699 * MIN]],
    scores: timestamps.map((_, i) => score(i)),
  };
}

const GROUPS = ['alpha', 'beta', 'gamma'];

/** A candidate scoring every file of every group with `score(group, i)`. */
function candidate(name: string, score: (group: string, i: number) => number): CandidateRun {
  return {
    name,
    overrides: {},
    scored: GROUPS.flatMap((g) => [0, 1].map((k) => file(g, k, (i) => score(g, i)))),
  };
}

// Fires early in every window, and has one false alarm per file at a lower score.
const good = candidate('good', (_g, i) => (i === 610 ? 0.9 : i === 300 ? 0.4 : 0));
// Fires late in the windows and often outside them.
const noisy = candidate('noisy', (_g, i) => (i === 690 ? 0.8 : i % 97 === 0 ? 0.7 : 0));

describe('leave-one-group-out cross-validation of NAB options', () => {
  it('names a file group by its first folder', () => {
    expect(groupOf('realAWSCloudwatch/ec2_cpu.csv')).toBe('realAWSCloudwatch');
    expect(groupOf('top.csv')).toBe('');
  });

  it('puts the threshold in the middle of the best-scoring interval of the training points', () => {
    const points = sweepSeries(
      file('alpha', 0, (i) => (i === 610 ? 0.9 : i === 300 ? 0.4 : 0)),
      standard,
    );
    // detecting 0.9 only is best; any threshold in (0.4, 0.9] does that
    expect(chooseThreshold(points, standard)).toBeCloseTo(0.65, 9);
  });

  it('chooses options and thresholds on the training groups and scores the pooled held-out folds', () => {
    const cv = crossValidate([noisy, good], profiles);
    expect(cv.folds.map((f) => f.heldOut)).toEqual(GROUPS);
    for (const f of cv.folds) {
      expect(f.trainGroups).toEqual(GROUPS.filter((g) => g !== f.heldOut));
      expect(f.candidate).toBe('good');
      expect(f.profiles.standard!.threshold).toBeCloseTo(0.65, 9);
      expect(f.profiles.standard!).toMatchObject({ tp: 2, fn: 0, fp: 0 });
    }
    // the pool is the whole corpus at each fold's detections: here, the good candidate at 0.65
    const whole = scoreCorpusAt(good.scored, standard, 0.65);
    const pooled = cv.pooled.find((r) => r.profile === 'standard')!;
    expect(pooled.normalised).toBeCloseTo(whole.normalised, 9);
    expect(pooled).toMatchObject({ tp: 6, fn: 0, fp: 0 });
    expect(cv.inSample.candidate).toBe('good');
  });

  it("never lets a fold's held-out group decide its options or thresholds (no leakage)", () => {
    const before = crossValidate([noisy, good], profiles);
    // make the noisy candidate perfect, and the good one useless, on gamma's files only
    const leak = (c: CandidateRun, score: (i: number) => number): CandidateRun => ({
      ...c,
      scored: c.scored.map((s) =>
        groupOf(s.name) === 'gamma' ? { ...s, scores: s.scores.map((_, i) => score(i)) } : s,
      ),
    });
    const after = crossValidate([leak(noisy, (i) => (i === 600 ? 1 : 0)), leak(good, () => 0.5)], profiles);
    const gammaBefore = before.folds.find((f) => f.heldOut === 'gamma')!;
    const gammaAfter = after.folds.find((f) => f.heldOut === 'gamma')!;
    expect(gammaAfter.candidate).toBe(gammaBefore.candidate);
    expect(gammaAfter.trainScore).toBe(gammaBefore.trainScore);
    for (const p of Object.keys(profiles))
      expect(gammaAfter.profiles[p]!.threshold).toBe(gammaBefore.profiles[p]!.threshold);
    // what changed is only how the held-out data scores under that choice
    expect(gammaAfter.profiles.standard!.tp).toBe(0);
    expect(gammaAfter.profiles.standard!.fp).toBe(0);
    // while the folds that train on gamma do see the change
    for (const g of ['alpha', 'beta']) {
      const b = before.folds.find((f) => f.heldOut === g)!;
      const a = after.folds.find((f) => f.heldOut === g)!;
      expect(a.trainScore).not.toBe(b.trainScore);
    }
  });

  it('refuses a corpus with fewer than two groups, or no standard profile', () => {
    const one: CandidateRun = { ...good, scored: good.scored.filter((s) => groupOf(s.name) === 'alpha') };
    expect(() => crossValidate([one], profiles)).toThrow(/at least two groups/);
    expect(() => crossValidate([good], { reward_low_FN_rate: profiles.reward_low_FN_rate })).toThrow(/standard/);
  });
});
