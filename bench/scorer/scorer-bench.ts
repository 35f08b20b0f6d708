/**
 * Per-point cost of the streaming anomaly scorer and of each of its detectors, in µs per point, on
 * real series (a NAB-format folder, the nab-dev slice by default) or, without one, on a seeded
 * synthetic series. Each detector is timed through its own update function, fed what the scorer
 * feeds it; "ensemble" is the whole `scoreMetricPoint` (all detectors, the combination, the alert).
 * Every measurement is repeated (`--rounds`, default 5) and the fastest round is reported: on a
 * shared machine the slow rounds measure the neighbours.
 *
 * `npm run bench:scorer [-- --data <NAB folder>] [--out <file>]` (default bench/results/scorer.json).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { numberFlag, parseFlags, runMain } from '../../cli/args.js';
import {
  DEFAULT_ANOMALY_OPTIONS,
  newMetricScorer,
  scoreMetricPoint,
} from '../../streams/processors/failure-risk/anomaly-scorer.js';
import { newBocpd, updateBocpd } from '../../streams/processors/failure-risk/detectors/bocpd.js';
import {
  newContextDetector,
  rangeExceedance,
  updateContext,
} from '../../streams/processors/failure-risk/detectors/context.js';
import { likelihoodScore, newLikelihood } from '../../streams/processors/failure-risk/detectors/likelihood.js';
import {
  isWarm,
  newMetricBaseline,
  robustScale,
  seasonalLevelOrNaN,
  updateMetricBaseline,
} from '../../streams/processors/host-baseline/baseline.js';
import { rng } from '../fleet/fleet-sim.js';
import { loadNabCorpus } from '../nab/nab-corpus.js';

export interface Series {
  timestamps: number[];
  values: number[];
}

export interface ScorerBench {
  generatedAt: string;
  command: string;
  machine: { cpu: string; cores: number; loadAverage: number[]; node: string };
  input: string;
  series: number;
  points: number;
  rounds: number;
  /** µs per point, fastest round. */
  microsPerPoint: Record<'deviation' | 'context' | 'bocpd' | 'changeLikelihood' | 'ensemble', number>;
}

const O = DEFAULT_ANOMALY_OPTIONS;

/** Runs `body` over every series `rounds` times; the fastest round's µs per point. */
function time(series: readonly Series[], rounds: number, body: (s: Series) => void): number {
  const points = series.reduce((n, s) => n + s.values.length, 0);
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (const s of series) body(s);
    const ns = Number(process.hrtime.bigint() - t0);
    best = Math.min(best, ns / 1000 / points);
  }
  return best;
}

/** The robust level and scale the scorer hands the change-point detector, per point. */
function priors(s: Series): { center: number[]; scale: number[] } {
  const base = newMetricBaseline(O.baseline);
  const center: number[] = [];
  const scale: number[] = [];
  for (let i = 0; i < s.values.length; i++) {
    center.push(base.stats.median);
    scale.push(isWarm(base, O.baseline) ? robustScale(base.stats, base.stats.median) : 1);
    updateMetricBaseline(base, s.timestamps[i]!, s.values[i]!, O.baseline);
  }
  return { center, scale };
}

export function benchScorer(series: readonly Series[], input: string, rounds = 5): ScorerBench {
  const deviation = time(series, rounds, (s) => {
    // The deviation detector's calls per point: the seasonal and robust predictions, the
    // likelihood of the capped surprise, the baseline update.
    const base = newMetricBaseline(O.baseline);
    const lik = newLikelihood();
    const opts = { shortWindow: O.shortWindow, longAlpha: O.longAlpha, warmup: O.likelihoodWarmup };
    for (let i = 0; i < s.values.length; i++) {
      const t = s.timestamps[i]!;
      const v = s.values[i]!;
      if (isWarm(base, O.baseline)) {
        const seasonal = seasonalLevelOrNaN(base, t, O.baseline);
        const expected = Number.isNaN(seasonal) ? base.stats.median : seasonal;
        const z = (v - expected) / robustScale(base.stats, base.stats.median);
        likelihoodScore(lik, Math.min(Math.abs(z), O.zCap) / O.zCap, opts);
      }
      updateMetricBaseline(base, t, v, O.baseline);
    }
  });
  const context = time(series, rounds, (s) => {
    const c = newContextDetector(O.context);
    for (const v of s.values) {
      rangeExceedance(c, v);
      updateContext(c, v, O.context);
    }
  });
  const pri = series.map(priors);
  const bocpd = time(series, rounds, (s) => {
    const k = series.indexOf(s);
    const b = newBocpd();
    const { center, scale } = pri[k]!;
    for (let i = 0; i < s.values.length; i++) updateBocpd(b, s.values[i]!, center[i]!, scale[i]!, O.bocpd);
  });
  const changeLikelihood = time(series, rounds, (s) => {
    const l = newLikelihood();
    const opts = { shortWindow: O.ensemble.changeWindow, longAlpha: O.longAlpha, warmup: O.likelihoodWarmup };
    for (let i = 0; i < s.values.length; i++) likelihoodScore(l, (i % 97) / 97, opts);
  });
  const ensemble = time(series, rounds, (s) => {
    const st = newMetricScorer(O);
    for (let i = 0; i < s.values.length; i++) scoreMetricPoint(st, s.timestamps[i]!, s.values[i]!, O);
  });
  const round3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    generatedAt: new Date().toISOString(),
    command: 'npm run bench:scorer',
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
      node: process.version,
    },
    input,
    series: series.length,
    points: series.reduce((n, s) => n + s.values.length, 0),
    rounds,
    microsPerPoint: {
      deviation: round3(deviation),
      context: round3(context),
      bocpd: round3(bocpd),
      changeLikelihood: round3(changeLikelihood),
      ensemble: round3(ensemble),
    },
  };
}

/** A seeded series with a daily rhythm, noise and a few spikes and shifts (when no folder is given). */
export function syntheticSeries(points: number, seed = 1): Series {
  const r = rng(seed);
  const step = 5 * 60_000;
  const timestamps = Array.from({ length: points }, (_, i) => Date.UTC(2026, 0, 5) + i * step);
  const values = timestamps.map(
    (_, i) =>
      50 + 20 * Math.sin((2 * Math.PI * i) / 288) + 5 * r() + (i % 1500 === 700 ? 60 : 0) + (i > points / 2 ? 15 : 0),
  );
  return { timestamps, values };
}

const FLAGS = {
  command: 'bench:scorer',
  usage: 'usage: npm run bench:scorer -- [--data <NAB folder>] [--out <file>] [--rounds <n>]',
  options: { data: { type: 'string' }, out: { type: 'string' }, rounds: { type: 'string' } },
} as const;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runMain(async () => {
    const { values } = parseFlags(process.argv.slice(2), FLAGS);
    const data = values.data ?? '../shared/data/nab-dev';
    const out = values.out ?? 'bench/results/scorer.json';
    const rounds = numberFlag(values.rounds, 'rounds', FLAGS, { min: 1, integer: true }) ?? 5;
    let series: Series[];
    let input: string;
    try {
      series = loadNabCorpus(data);
      input = `NAB folder ${data}`;
    } catch {
      series = [syntheticSeries(100_000)];
      input = 'synthetic series (100,000 points; no NAB folder found)';
    }
    const report = benchScorer(series, input, rounds);
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report, null, 2));
    return 0;
  });
}
