/**
 * Leave-one-group-out cross-validation of the scorer's corpus-level options on a NAB folder.
 *
 * The groups are the folders under data/ (nab-dev: artificialNoAnomaly, artificialWithAnomaly,
 * realAWSCloudwatch). For each group in turn:
 * 1. on the OTHER groups only, pick the candidate (a set of option overrides) with the best
 *    standard-profile score, then, per profile, that candidate's threshold on the other groups;
 * 2. turn the held-out group's scores of that candidate into detections at that threshold.
 * The three held-out folds are then pooled and scored as one corpus at those fixed detections (no
 * threshold is optimised on the pool), normalised against the null and perfect detectors of the
 * whole corpus. A candidate's scores of a file never depend on other files (options are
 * corpus-level and every file is replayed by its own scorer), so each candidate is replayed once
 * and the folds only select among the replays.
 *
 * The threshold of a fold is the midpoint of the interval of thresholds that reach the best
 * training score (between the lowest such threshold and the next lower score), a margin choice
 * made before any held-out data is seen; NAB's own "highest threshold of the best" rule sits on the
 * edge of that interval, where the held-out scores are most likely to fall just short of it.
 */
import {
  type CostMatrix,
  type ProfileResult,
  type ScoredSeries,
  type SweepPoint,
  scoreCorpus,
  scoreCorpusAt,
  sweepSeries,
  sweepThresholds,
} from './nab-scorer.js';

export interface CandidateRun {
  name: string;
  overrides: unknown;
  /** Every file of the corpus, scored with this candidate's options. */
  scored: ScoredSeries[];
}

export interface FoldResult {
  heldOut: string;
  trainGroups: string[];
  /** The candidate chosen on the training groups. */
  candidate: string;
  /** Its standard-profile score on the training groups. */
  trainScore: number;
  /** Per profile: the threshold chosen on the training groups and the held-out group's result at it. */
  profiles: Record<string, FoldProfile>;
}

export interface FoldProfile {
  threshold: number;
  tp: number;
  fp: number;
  fn: number;
  /** Raw held-out score at the threshold. */
  score: number;
  /** Normalised within the held-out group alone (null when the group has no windows). */
  normalised: number | null;
}

export interface CrossValidation {
  folds: FoldResult[];
  /** The pooled held-out folds, per profile. */
  pooled: ProfileResult[];
  /** Options chosen and scored on the whole corpus (the usual, optimistic NAB figure). */
  inSample: { candidate: string; results: ProfileResult[] };
}

/** The group of a file: its first folder under data/. */
export function groupOf(name: string): string {
  const slash = name.indexOf('/');
  return slash < 0 ? '' : name.slice(0, slash);
}

/**
 * The threshold for a set of training points: the midpoint of the best-scoring threshold interval
 * (see the module comment).
 */
export function chooseThreshold(points: readonly SweepPoint[], cost: CostMatrix): number {
  const results = sweepThresholds(points, cost);
  let top = results[0]!;
  for (const r of results) if (r.score > top.score) top = r;
  // Results run from the highest threshold down; the best interval's lower end is the last
  // consecutive result scoring as well as the first best one.
  const first = results.indexOf(top);
  let last = first;
  while (last + 1 < results.length && results[last + 1]!.score === top.score) last++;
  const lowest = results[last]!.threshold;
  if (!Number.isFinite(lowest)) return Number.POSITIVE_INFINITY;
  const below = results[last + 1]?.threshold;
  return below === undefined ? lowest : (lowest + below) / 2;
}

function standardScore(scored: readonly ScoredSeries[], cost: CostMatrix): number {
  return scoreCorpus(scored, cost, 'standard').score;
}

/** Runs the leave-one-group-out procedure over candidates already replayed on every file. */
export function crossValidate(
  runs: readonly CandidateRun[],
  profiles: Readonly<Record<string, CostMatrix>>,
): CrossValidation {
  if (runs.length === 0) throw new Error('cross-validation needs at least one candidate');
  const standard = profiles.standard;
  if (!standard) throw new Error('cross-validation chooses options on the standard profile, which is missing');
  const names = runs[0]!.scored.map((s) => s.name);
  const groups = [...new Set(names.map(groupOf))].sort();
  if (groups.length < 2) throw new Error(`cross-validation needs at least two groups, found ${groups.length}`);

  const folds: FoldResult[] = [];
  // Per profile, the held-out series of every fold as detections (1 at or above the fold's threshold).
  const pooledSeries: Record<string, ScoredSeries[]> = Object.fromEntries(Object.keys(profiles).map((p) => [p, []]));
  for (const heldOut of groups) {
    const trainGroups = groups.filter((g) => g !== heldOut);
    const train = (r: CandidateRun) => r.scored.filter((s) => groupOf(s.name) !== heldOut);
    const test = (r: CandidateRun) => r.scored.filter((s) => groupOf(s.name) === heldOut);
    let chosen = runs[0]!;
    let chosenScore = standardScore(train(chosen), standard);
    for (const r of runs.slice(1)) {
      const s = standardScore(train(r), standard);
      if (s > chosenScore) {
        chosen = r;
        chosenScore = s;
      }
    }
    const fold: FoldResult = { heldOut, trainGroups, candidate: chosen.name, trainScore: chosenScore, profiles: {} };
    for (const [profile, cost] of Object.entries(profiles)) {
      const threshold = chooseThreshold(
        train(chosen).flatMap((s) => sweepSeries(s, cost)),
        cost,
      );
      const held = test(chosen);
      const at = scoreCorpusAt(held, cost, threshold, profile);
      const windows = held.reduce((n, s) => n + s.windows.length, 0);
      fold.profiles[profile] = {
        threshold,
        tp: at.tp,
        fp: at.fp,
        fn: at.fn,
        score: at.score,
        normalised: windows > 0 ? at.normalised : null,
      };
      for (const s of held) {
        pooledSeries[profile]!.push({ ...s, scores: s.scores.map((x) => (x >= threshold ? 1 : 0)) });
      }
    }
    folds.push(fold);
  }
  // Pool in the corpus' own file order, so the pooled corpus is the corpus itself.
  const order = new Map(names.map((n, i) => [n, i]));
  const pooled = Object.entries(profiles).map(([profile, cost]) =>
    scoreCorpusAt(
      pooledSeries[profile]!.sort((a, b) => order.get(a.name)! - order.get(b.name)!),
      cost,
      1,
      profile,
    ),
  );

  let best = runs[0]!;
  let bestScore = standardScore(best.scored, standard);
  for (const r of runs.slice(1)) {
    const s = standardScore(r.scored, standard);
    if (s > bestScore) {
      best = r;
      bestScore = s;
    }
  }
  const inSample = {
    candidate: best.name,
    results: Object.entries(profiles).map(([p, c]) => scoreCorpus(best.scored, c, p)),
  };
  return { folds, pooled, inSample };
}
