/**
 * A NAB-style scorer (Numenta Anomaly Benchmark rules, reimplemented): per-row sweep weights, a
 * corpus-wide threshold sweep per profile, and the 0 (null detector) .. 100 (perfect) normalisation.
 *
 * Rules, as NAB applies them:
 * - the first `min(floor(0.15 n), 0.15 * 5000)` rows of a file are probationary and never scored
 *   (a window lying wholly inside them is not counted at all);
 * - a detection inside a window is worth `tpWeight * sigmoid(pos) / sigmoid(-1)`, pos being the
 *   position relative to the window's right edge in window widths (-1 at the left edge); only the
 *   best (= earliest) detection of a window counts, a window without one costs `fnWeight`;
 * - a detection outside every window costs `fpWeight * sigmoid(d)` (negative), d being the distance
 *   past the preceding window in its widths (3+ or no preceding window: the full `fpWeight`);
 * - one threshold per profile is chosen over the whole corpus (detections are rows scoring >= it).
 */

export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

export interface LabelledSeries {
  /** Relative path under data/, e.g. `realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv`. */
  name: string;
  timestamps: number[];
  /** Inclusive [start, end] epoch-ms pairs, in time order. */
  windows: Array<[number, number]>;
}

export interface ScoredSeries extends LabelledSeries {
  scores: number[];
}

/** One scorable row: its anomaly score, its sweep weight and its window (null = outside). */
export interface SweepPoint {
  score: number;
  weight: number;
  window: string | null;
}

export interface ThresholdResult {
  threshold: number;
  score: number;
  tp: number;
  fp: number;
  fn: number;
}

export interface ProfileResult extends ThresholdResult {
  profile: string;
  nullScore: number;
  perfectScore: number;
  normalised: number;
}

export const PROBATION_PERCENT = 0.15;

/** NAB's scaled sigmoid: ~+0.987 at -1 (window start), 0 at the window end, -1 from 3 widths past. */
export function scaledSigmoid(relativePosition: number): number {
  if (relativePosition >= 3) return -1;
  return 2 / (1 + Math.exp(5 * relativePosition)) - 1;
}

export function probationaryLength(rows: number, percent = PROBATION_PERCENT): number {
  return Math.min(Math.floor(percent * rows), percent * 5000);
}

/** Row index range [left, right] of each window (rows whose timestamps fall inside it). */
export function windowIndices(
  timestamps: readonly number[],
  windows: ReadonlyArray<[number, number]>,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [start, end] of windows) {
    let left = -1;
    let right = -1;
    for (let i = 0; i < timestamps.length; i++) {
      const t = timestamps[i]!;
      if (t >= start && t <= end) {
        if (left < 0) left = i;
        right = i;
      }
    }
    if (left >= 0) out.push([left, right]);
  }
  return out;
}

/** Labels per row: 1 inside a window, else 0 (the NAB results-file `label` column). */
export function rowLabels(series: LabelledSeries): number[] {
  const labels = new Array<number>(series.timestamps.length).fill(0);
  for (const [l, r] of windowIndices(series.timestamps, series.windows)) for (let i = l; i <= r; i++) labels[i] = 1;
  return labels;
}

/** The sweep weight of every scorable row of one file (probationary rows dropped). */
export function sweepSeries(
  series: ScoredSeries,
  cost: CostMatrix,
  probationPercent = PROBATION_PERCENT,
): SweepPoint[] {
  const n = series.timestamps.length;
  const probation = probationaryLength(n, probationPercent);
  const windows = windowIndices(series.timestamps, series.windows);
  const maxTp = scaledSigmoid(-1);
  const points: SweepPoint[] = [];
  let w = 0;
  let prevRight = -1;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    const cur = windows[w];
    const inWindow = cur !== undefined && i >= cur[0] && i <= cur[1];
    let weight: number;
    let name: string | null = null;
    if (inWindow) {
      const width = cur[1] - cur[0] + 1;
      // NAB measures the position from one row past the right edge, so even the last row is worth > 0.
      weight = (scaledSigmoid(-(cur[1] - i + 1) / width) * cost.tpWeight) / maxTp;
      name = `${series.name}|${cur[0]}`;
    } else {
      const past = prevRight < 0 ? 3 : Math.abs(prevRight - i) / Math.max(1, prevWidth - 1);
      weight = scaledSigmoid(past) * cost.fpWeight;
    }
    if (i >= probation) points.push({ score: series.scores[i] ?? 0, weight, window: name });
    if (inWindow && i === cur[1]) {
      prevRight = i;
      prevWidth = cur[1] - cur[0] + 1;
      w++;
    }
  }
  return points;
}

/**
 * Every distinct threshold's corpus score, highest threshold first: rows are taken in descending
 * score order, each FP adds its (negative) weight, each window keeps its best detection.
 */
export function sweepThresholds(points: readonly SweepPoint[], cost: CostMatrix): ThresholdResult[] {
  const sorted = [...points].sort((a, b) => b.score - a.score);
  const windowBest = new Map<string, number>();
  for (const p of sorted) if (p.window !== null) windowBest.set(p.window, -cost.fnWeight);
  let fpSum = 0;
  let windowSum = -cost.fnWeight * windowBest.size;
  let tp = 0;
  let fp = 0;
  const detected = new Set<string>();
  const results: ThresholdResult[] = [
    { threshold: Number.POSITIVE_INFINITY, score: windowSum, tp: 0, fp: 0, fn: windowBest.size },
  ];
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i]!;
    if (p.window === null) {
      fpSum += p.weight;
      fp++;
    } else {
      const best = windowBest.get(p.window)!;
      if (p.weight > best) {
        windowSum += p.weight - best;
        windowBest.set(p.window, p.weight);
      }
      if (!detected.has(p.window)) {
        detected.add(p.window);
        tp++;
      }
    }
    const next = sorted[i + 1];
    if (next === undefined || next.score !== p.score) {
      results.push({ threshold: p.score, score: fpSum + windowSum, tp, fp, fn: windowBest.size - detected.size });
    }
  }
  return results;
}

function best(results: readonly ThresholdResult[]): ThresholdResult {
  let top = results[0]!;
  for (const r of results) if (r.score > top.score) top = r;
  return top;
}

/** The perfect detector fires exactly at each window's first row. */
function perfectScores(series: LabelledSeries): number[] {
  const scores = new Array<number>(series.timestamps.length).fill(0);
  for (const [l] of windowIndices(series.timestamps, series.windows)) scores[l] = 1;
  return scores;
}

/** The null (never fires) and perfect (fires at each window's first row) detectors' raw scores. */
export function referenceScores(
  corpus: readonly ScoredSeries[],
  cost: CostMatrix,
  probationPercent = PROBATION_PERCENT,
): { nullScore: number; perfectScore: number } {
  const sweep = (list: readonly LabelledSeries[], scores: (s: LabelledSeries) => number[]) =>
    best(
      sweepThresholds(
        list.flatMap((s) => sweepSeries({ ...s, scores: scores(s) }, cost, probationPercent)),
        cost,
      ),
    ).score;
  // The null detector's best threshold is "above everything": it never fires, every window is missed.
  const nullScore = sweep(corpus, (s) => new Array<number>(s.timestamps.length).fill(0));
  const perfectScore = sweep(corpus, perfectScores);
  return { nullScore, perfectScore };
}

function normalise(raw: number, ref: { nullScore: number; perfectScore: number }): number {
  return ref.perfectScore === ref.nullScore ? 0 : (100 * (raw - ref.nullScore)) / (ref.perfectScore - ref.nullScore);
}

/** Scores a corpus under one profile, normalised against the null and perfect detectors. */
export function scoreCorpus(
  corpus: readonly ScoredSeries[],
  cost: CostMatrix,
  profile = 'standard',
  probationPercent = PROBATION_PERCENT,
): ProfileResult {
  const detector = best(
    sweepThresholds(
      corpus.flatMap((s) => sweepSeries(s, cost, probationPercent)),
      cost,
    ),
  );
  const ref = referenceScores(corpus, cost, probationPercent);
  return { ...detector, profile, ...ref, normalised: normalise(detector.score, ref) };
}

/** The corpus score at one given threshold (rows scoring >= it are detections), not optimised. */
export function scoreAtThreshold(points: readonly SweepPoint[], cost: CostMatrix, threshold: number): ThresholdResult {
  const windowBest = new Map<string, number>();
  let fpSum = 0;
  let fp = 0;
  for (const p of points) {
    if (p.window !== null) {
      if (!windowBest.has(p.window)) windowBest.set(p.window, -cost.fnWeight);
      if (p.score >= threshold && p.weight > windowBest.get(p.window)!) windowBest.set(p.window, p.weight);
    } else if (p.score >= threshold) {
      fpSum += p.weight;
      fp++;
    }
  }
  let windowSum = 0;
  let tp = 0;
  for (const w of windowBest.values()) {
    windowSum += w;
    if (w !== -cost.fnWeight) tp++;
  }
  return { threshold, score: fpSum + windowSum, tp, fp, fn: windowBest.size - tp };
}

/** Scores a corpus under one profile at a fixed threshold, normalised as `scoreCorpus`. */
export function scoreCorpusAt(
  corpus: readonly ScoredSeries[],
  cost: CostMatrix,
  threshold: number,
  profile = 'standard',
  probationPercent = PROBATION_PERCENT,
): ProfileResult {
  const at = scoreAtThreshold(
    corpus.flatMap((s) => sweepSeries(s, cost, probationPercent)),
    cost,
    threshold,
  );
  const ref = referenceScores(corpus, cost, probationPercent);
  return { ...at, profile, ...ref, normalised: normalise(at.score, ref) };
}
