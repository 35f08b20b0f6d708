/**
 * Reading a NAB-format data folder and writing NAB result files. The replay feeds each row, in
 * order, through `scoreHostSample`: the same streaming scorer the failure-risk processor runs on
 * live host samples, so the benchmark measures the production code path.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import {
  type AnomalyOptions,
  DEFAULT_ANOMALY_OPTIONS,
  type HostScorerState,
  newHostScorer,
  scoreHostSample,
} from '../../streams/processors/failure-risk/anomaly-scorer.js';
import { type CostMatrix, type LabelledSeries, rowLabels, type ScoredSeries } from './nab-scorer.js';

export const DETECTOR_NAME = 'foreshadow';
/** The canonical metric name a NAB value is replayed under. */
export const NAB_METRIC = 'nab.value';

export interface NabSeries extends LabelledSeries {
  values: number[];
  /** The original timestamp strings, echoed into result files. */
  stamps: string[];
}

/** NAB timestamps are `YYYY-MM-DD HH:MM:SS[.ffffff]` in UTC. */
export function parseNabTimestamp(s: string): number {
  const t = Date.parse(`${s.trim().replace(' ', 'T').slice(0, 19)}Z`);
  if (Number.isNaN(t)) throw new Error(`bad NAB timestamp: ${s}`);
  return t;
}

export function parseNabCsv(text: string): { stamps: string[]; timestamps: number[]; values: number[] } {
  const stamps: string[] = [];
  const timestamps: number[] = [];
  const values: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const comma = line.indexOf(',');
    const stamp = line.slice(0, comma);
    stamps.push(stamp);
    timestamps.push(parseNabTimestamp(stamp));
    values.push(Number(line.slice(comma + 1)));
  }
  return { stamps, timestamps, values };
}

function csvFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...csvFiles(p));
    else if (entry.endsWith('.csv')) out.push(p);
  }
  return out;
}

/** Loads `<root>/data/**.csv` with the windows of `<root>/combined_windows.json` (if present). */
export function loadNabCorpus(root: string): NabSeries[] {
  const dataDir = join(root, 'data');
  let windows: Record<string, Array<[string, string]>> = {};
  try {
    windows = JSON.parse(readFileSync(join(root, 'combined_windows.json'), 'utf8')) as typeof windows;
  } catch {
    // A data folder without labels can still be replayed; it just cannot be scored.
  }
  return csvFiles(dataDir).map((file) => {
    const name = relative(dataDir, file).split('\\').join('/');
    const { stamps, timestamps, values } = parseNabCsv(readFileSync(file, 'utf8'));
    const w = (windows[name] ?? []).map(([a, b]) => [parseNabTimestamp(a), parseNabTimestamp(b)] as [number, number]);
    return { name, stamps, timestamps, values, windows: w };
  });
}

export function loadProfiles(root: string): Record<string, CostMatrix> {
  const raw = JSON.parse(readFileSync(join(root, 'profiles.json'), 'utf8')) as Record<
    string,
    { CostMatrix: CostMatrix }
  >;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.CostMatrix]));
}

/**
 * Replays one series point by point through the live scorer (into `state`, a fresh host scorer
 * unless given, so a caller can look at what the replay learnt).
 */
export function replaySeries(
  series: NabSeries,
  opts: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS,
  state: HostScorerState = newHostScorer(),
): ScoredSeries {
  const host = series.name.replace(/\.csv$/, '');
  const scores = series.values.map((value, i) => {
    const sample = { host, timestamp: series.timestamps[i]!, metrics: { [NAB_METRIC]: value } };
    return scoreHostSample(state, sample, opts).score;
  });
  return { name: series.name, timestamps: series.timestamps, windows: series.windows, scores };
}

/** Writes `<out>/<group>/<detector>_<file>.csv` (timestamp,value,anomaly_score,label). */
export function writeResultFile(
  outDir: string,
  series: NabSeries,
  scored: ScoredSeries,
  detector = DETECTOR_NAME,
): string {
  const parts = series.name.split('/');
  const file = parts.pop()!;
  const path = join(outDir, ...parts, `${detector}_${file}`);
  mkdirSync(dirname(path), { recursive: true });
  const labels = rowLabels(series);
  const rows = series.stamps.map((s, i) => `${s},${series.values[i]},${scored.scores[i]!.toFixed(6)},${labels[i]}`);
  writeFileSync(path, `timestamp,value,anomaly_score,label\n${rows.join('\n')}\n`);
  return path;
}
