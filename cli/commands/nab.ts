/**
 * `foreshadow nab --data <dir> --out <dir>`: replays a NAB-format folder through the live streaming
 * scorer, writes NAB result files (mirroring data/) and, when the folder has windows and profiles,
 * scores them with the project's NAB scorer and writes `<out>/scores.json`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DETECTOR_NAME,
  loadNabCorpus,
  loadProfiles,
  replaySeries,
  writeResultFile,
} from '../../bench/nab/nab-corpus.js';
import { type ProfileResult, scoreCorpus } from '../../bench/nab/nab-scorer.js';
import { ConfigError } from '../../streams/runtime/errors.js';
import { parseFlags, UsageError } from '../args.js';
import type { CliCommand } from '../command.js';

const FLAGS = {
  command: 'nab',
  usage: 'usage: foreshadow nab --data <nab folder> --out <results folder>',
  options: { data: { type: 'string' }, out: { type: 'string' } },
} as const;

export const command: CliCommand = {
  summary: 'replay a NAB data folder through the streaming scorer and score it (--data <dir> --out <dir>)',
  async run(args: string[]): Promise<number> {
    const { data, out } = parseFlags(args, FLAGS).values;
    if (!data || !out) throw new UsageError('nab: --data and --out are both needed', FLAGS.usage);
    if (!existsSync(join(data, 'data'))) throw new ConfigError('no data/ folder under --data', { data });
    const started = Date.now();
    const corpus = loadNabCorpus(data);
    mkdirSync(out, { recursive: true });
    const scored = corpus.map((series) => {
      const result = replaySeries(series);
      writeResultFile(out, series, result);
      return result;
    });
    console.log(
      `replayed ${corpus.length} files (${scored.reduce((n, s) => n + s.scores.length, 0)} points) in ${Date.now() - started} ms`,
    );
    if (!existsSync(join(data, 'profiles.json')) || !existsSync(join(data, 'combined_windows.json'))) return 0;
    const results: ProfileResult[] = Object.entries(loadProfiles(data)).map(([profile, cost]) =>
      scoreCorpus(scored, cost, profile),
    );
    for (const r of results) {
      console.log(
        `${DETECTOR_NAME} ${r.profile.padEnd(20)} score ${r.normalised.toFixed(1).padStart(5)}  threshold ${r.threshold.toFixed(4)}  windows hit ${r.tp}, missed ${r.fn}, fp rows ${r.fp}`,
      );
    }
    writeFileSync(
      join(out, 'scores.json'),
      `${JSON.stringify({ detector: DETECTOR_NAME, files: corpus.length, results }, null, 2)}\n`,
    );
    return 0;
  },
};
