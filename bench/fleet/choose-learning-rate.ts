/**
 * How the model's AdaGrad step was chosen, without looking at the fleets the report judges: train
 * online on the training fleet (seed 1), judge frozen on a validation fleet of the same kind
 * (seed 9, in no report), keep the step with the lowest Brier score.
 * `npx tsx bench/fleet/choose-learning-rate.ts [--hosts 200]` prints the candidates' validation scores.
 */
import { fileURLToPath } from 'node:url';
import { numberFlag, parseFlags, runMain } from '../../cli/args.js';
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

const FLAGS = {
  command: 'choose-learning-rate',
  usage: 'usage: npx tsx bench/fleet/choose-learning-rate.ts [--hosts <n>]',
  options: { hosts: { type: 'string' } },
} as const;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runMain(async () => {
    const { values } = parseFlags(process.argv.slice(2), FLAGS);
    const hosts = numberFlag(values.hosts, 'hosts', FLAGS, { min: 1, integer: true }) ?? 200;
    console.log(JSON.stringify(chooseLearningRate(hosts), null, 2));
    return 0;
  });
}
