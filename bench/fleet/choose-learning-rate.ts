/**
 * How the model's AdaGrad step was chosen, without looking at the fleets the report judges: train
 * online on the training fleet (seed 1), judge frozen on a validation fleet of the same kind
 * (seed 9, in no report), keep the step with the lowest Brier score.
 * `npx tsx bench/fleet/choose-learning-rate.ts [hosts]` prints the candidates' validation scores.
 */
import { fileURLToPath } from 'node:url';
import { DEFAULT_MODEL_OPTIONS, newModel } from '../../streams/processors/failure-risk/model.js';
import { DEFAULT_RISK_OPTIONS } from '../../streams/processors/failure-risk/risk-engine.js';
import { evaluateFleet } from './fleet-eval.js';

export const LEARNING_RATE_CANDIDATES = [0.05, 0.1, 0.2, 0.3, 0.5];
export const VALIDATION_SEED = 9;

export function chooseLearningRate(
  hosts = 200,
): Array<{ learningRate: number; validationBrier: number; detected: number; predictable: number }> {
  return LEARNING_RATE_CANDIDATES.map((learningRate) => {
    const risk = { ...DEFAULT_RISK_OPTIONS, model: { ...DEFAULT_MODEL_OPTIONS, learningRate } };
    const model = newModel();
    evaluateFleet({ sim: { hosts, seed: 1 }, learn: true, risk }, model);
    const v = evaluateFleet({ sim: { hosts, seed: VALIDATION_SEED }, learn: false, risk }, model);
    return { learningRate, validationBrier: v.brier, detected: v.detected, predictable: v.predictableFailures };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(chooseLearningRate(Number(process.argv[2] ?? 200)), null, 2));
}
