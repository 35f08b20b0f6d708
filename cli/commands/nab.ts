/**
 * `foreshadow nab --data <dir> --out <dir> [--cv]`: replays a NAB-format folder through the live
 * streaming scorer (shipped options), writes NAB result files (mirroring data/) and, when the folder
 * has windows and profiles, scores them with the project's NAB scorer into `<out>/scores.json`.
 * With `--cv` it also replays every option candidate (bench/nab/nab-candidates.ts) and reports the
 * leave-one-group-out cross-validated scores next to the in-sample ones (bench/nab/nab-cv.ts).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { candidateGrid } from '../../bench/nab/nab-candidates.js';
import {
  DETECTOR_NAME,
  loadNabCorpus,
  loadProfiles,
  replaySeries,
  writeResultFile,
} from '../../bench/nab/nab-corpus.js';
import { type CrossValidation, crossValidate } from '../../bench/nab/nab-cv.js';
import { type ProfileResult, scoreCorpus } from '../../bench/nab/nab-scorer.js';
import { DEFAULT_ANOMALY_OPTIONS } from '../../streams/processors/failure-risk/anomaly-scorer.js';
import { ConfigError } from '../../streams/runtime/errors.js';
import { parseFlags, UsageError } from '../args.js';
import type { CliCommand } from '../command.js';

const FLAGS = {
  command: 'nab',
  usage: 'usage: foreshadow nab --data <nab folder> --out <results folder> [--cv]',
  options: { data: { type: 'string' }, out: { type: 'string' }, cv: { type: 'boolean' } },
} as const;

function line(r: ProfileResult): string {
  return `${r.profile.padEnd(20)} score ${r.normalised.toFixed(1).padStart(5)}  threshold ${r.threshold.toFixed(4)}  windows hit ${r.tp}, missed ${r.fn}, fp rows ${r.fp}`;
}

function printCrossValidation(cv: CrossValidation): void {
  for (const f of cv.folds) {
    const std = f.profiles.standard!;
    console.log(
      `fold ${f.heldOut.padEnd(22)} chose [${f.candidate}] (train ${f.trainScore.toFixed(2)}), held out: threshold ${std.threshold.toFixed(4)}, hit ${std.tp}, missed ${std.fn}, fp rows ${std.fp}, raw ${std.score.toFixed(2)}${std.normalised === null ? '' : `, alone ${std.normalised.toFixed(1)}`}`,
    );
  }
  for (const r of cv.pooled) console.log(`${DETECTOR_NAME} cross-validated ${line(r)}`);
  console.log(`in-sample choice: [${cv.inSample.candidate}]`);
  for (const r of cv.inSample.results) console.log(`${DETECTOR_NAME} in-sample       ${line(r)}`);
}

export const command: CliCommand = {
  summary:
    'replay a NAB data folder through the streaming scorer and score it (--data <dir> --out <dir> [--cv: cross-validated too])',
  async run(args: string[]): Promise<number> {
    const { data, out, cv } = parseFlags(args, FLAGS).values;
    if (!data || !out) throw new UsageError('nab: --data and --out are both needed', FLAGS.usage);
    if (!existsSync(join(data, 'data'))) throw new ConfigError('no data/ folder under --data', { data });
    const started = Date.now();
    const corpus = loadNabCorpus(data);
    mkdirSync(out, { recursive: true });
    const scored = corpus.map((series) => {
      const result = replaySeries(series, DEFAULT_ANOMALY_OPTIONS);
      writeResultFile(out, series, result);
      return result;
    });
    console.log(
      `replayed ${corpus.length} files (${scored.reduce((n, s) => n + s.scores.length, 0)} points) in ${Date.now() - started} ms`,
    );
    if (!existsSync(join(data, 'profiles.json')) || !existsSync(join(data, 'combined_windows.json'))) return 0;
    const profiles = loadProfiles(data);
    const results: ProfileResult[] = Object.entries(profiles).map(([profile, cost]) =>
      scoreCorpus(scored, cost, profile),
    );
    for (const r of results) console.log(`${DETECTOR_NAME} ${line(r)}`);
    let crossValidation: CrossValidation | undefined;
    if (cv) {
      const cvStarted = Date.now();
      const runs = candidateGrid().map((c) => ({
        name: c.name,
        overrides: c.overrides,
        scored: corpus.map((s) => replaySeries(s, c.options)),
      }));
      crossValidation = crossValidate(runs, profiles);
      console.log(`cross-validation over ${runs.length} candidates in ${Date.now() - cvStarted} ms`);
      printCrossValidation(crossValidation);
    }
    writeFileSync(
      join(out, 'scores.json'),
      `${JSON.stringify({ detector: DETECTOR_NAME, files: corpus.length, results, crossValidation }, null, 2)}\n`,
    );
    return 0;
  },
};
