/**
 * The option candidates cross-validation chooses among: corpus-level switches and strengths of the
 * ensemble, small on purpose (every extra candidate is another chance to fit the training groups by
 * luck). The grid holds the shipped defaults and the scorer as it was before the ensemble (deviation
 * alone, ungated), so the procedure can prefer either.
 */
import { type AnomalyOptions, DEFAULT_ANOMALY_OPTIONS } from '../../streams/processors/failure-risk/anomaly-scorer.js';
import { withOverrides } from './nab-options.js';

export interface Candidate {
  name: string;
  overrides: Record<string, unknown>;
  options: AnomalyOptions;
}

const GATE_BASE = [0.6, 0.8, 1] as const;
const EXTREME_WEIGHT = [0, 0.7] as const;
const CHANGE_WEIGHT = [0, 0.7] as const;
const REST_PERIOD = [100, 300] as const;

export function candidateGrid(base: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS): Candidate[] {
  const out: Candidate[] = [];
  for (const gateBase of GATE_BASE)
    for (const extremeWeight of EXTREME_WEIGHT)
      for (const changeWeight of CHANGE_WEIGHT)
        for (const restPeriod of REST_PERIOD) {
          const overrides = { ensemble: { gateBase, extremeWeight, changeWeight }, restPeriod };
          out.push({
            name: `gate=${gateBase} extreme=${extremeWeight} change=${changeWeight} rest=${restPeriod}`,
            overrides,
            options: withOverrides(base, overrides),
          });
        }
  return out;
}
