/**
 * Corpus-level tuning harness for the streaming scorer's options: every candidate is scored on the
 * whole dev slice (never per file), printing the standard-profile score. `npx tsx bench/nab/tune.ts <root> '<json overrides>'...`
 */
import { type AnomalyOptions, DEFAULT_ANOMALY_OPTIONS } from '../../streams/processors/failure-risk/anomaly-scorer.js';
import { loadNabCorpus, loadProfiles, replaySeries } from './nab-corpus.js';
import { scoreCorpus } from './nab-scorer.js';

const [root = '/work/shared/data/nab-dev', ...variants] = process.argv.slice(2);
const corpus = loadNabCorpus(root);
const profiles = loadProfiles(root);
for (const v of variants.length ? variants : ['{}']) {
  const o = JSON.parse(v) as Partial<AnomalyOptions> & { baselineOverrides?: Partial<AnomalyOptions['baseline']> };
  const opts: AnomalyOptions = {
    ...DEFAULT_ANOMALY_OPTIONS,
    ...o,
    baseline: { ...DEFAULT_ANOMALY_OPTIONS.baseline, ...(o.baselineOverrides ?? {}) },
  };
  const scored = corpus.map((s) => replaySeries(s, opts));
  const out = Object.entries(profiles).map(([p, c]) => {
    const r = scoreCorpus(scored, c, p);
    return `${p}=${r.normalised.toFixed(1)}(t=${r.threshold.toFixed(3)} tp=${r.tp} fp=${r.fp} fn=${r.fn})`;
  });
  console.log(v, out.join(' '));
}
