/**
 * Corpus-level tuning harness for the streaming scorer's options: every candidate is scored on the
 * whole folder (never per file), printing each profile's score. For exploration only: the figures
 * it prints are in-sample; `foreshadow nab --cv` gives the cross-validated ones.
 * `npx tsx bench/nab/tune.ts [--data <NAB folder>] '<json overrides>'...`, overrides deep-merged into
 * the defaults, e.g. '{"ensemble":{"gateBase":0.7}}'.
 */
import { parseFlagsOrExit } from '../../cli/args.js';
import { DEFAULT_ANOMALY_OPTIONS } from '../../streams/processors/failure-risk/anomaly-scorer.js';
import { loadNabCorpus, loadProfiles, replaySeries } from './nab-corpus.js';
import { withOverrides } from './nab-options.js';
import { scoreCorpus } from './nab-scorer.js';

const { values, positionals: variants } = parseFlagsOrExit(process.argv.slice(2), {
  command: 'nab-tune',
  usage: "usage: npx tsx bench/nab/tune.ts [--data <NAB folder>] '<json overrides>'...",
  options: { data: { type: 'string' } },
  positionals: true,
});
const root = values.data ?? '../shared/data/nab-dev';
const corpus = loadNabCorpus(root);
const profiles = loadProfiles(root);
for (const v of variants.length ? variants : ['{}']) {
  const opts = withOverrides(DEFAULT_ANOMALY_OPTIONS, JSON.parse(v) as unknown);
  const scored = corpus.map((s) => replaySeries(s, opts));
  const out = Object.entries(profiles).map(([p, c]) => {
    const r = scoreCorpus(scored, c, p);
    return `${p}=${r.normalised.toFixed(1)}(t=${r.threshold.toFixed(3)} tp=${r.tp} fp=${r.fp} fn=${r.fn})`;
  });
  console.log(v, out.join(' '));
}
