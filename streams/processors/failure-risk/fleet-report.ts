/**
 * The fleet report: train the risk model online on one simulated fleet, then judge it frozen on a
 * fleet it never saw (another seed). Prints JSON; `npx tsx streams/processors/failure-risk/fleet-report.ts [hosts]`.
 */
import { fileURLToPath } from 'node:url';
import { evaluateFleet, type FleetReport } from './fleet-eval.js';
import { type ModelState, modelVersion, newModel } from './model.js';

export interface FleetStudy {
  training: Omit<FleetReport, 'outcomes'>;
  heldOut: Omit<FleetReport, 'outcomes'>;
  priorOnlyHeldOut: { brier: number; detected: number; falseAlarmRate: number };
  climatologyBrier: number;
  model: ModelState & { version: string };
}

export function fleetStudy(hosts = 200, trainSeed = 1, testSeed = 2): FleetStudy {
  const model = newModel();
  const { outcomes: _a, ...training } = evaluateFleet({ sim: { hosts, seed: trainSeed }, learn: true }, model);
  const { outcomes: _b, ...heldOut } = evaluateFleet(
    { sim: { hosts, seed: testSeed }, learn: false },
    structuredClone(model),
  );
  const prior = evaluateFleet({ sim: { hosts, seed: testSeed }, learn: false }, newModel());
  // Climatology: always predicting the held-out base rate (the Brier score to beat).
  const rate = heldOut.reliability.reduce((s, b) => s + b.observedRate * b.count, 0) / Math.max(1, heldOut.evaluations);
  const climatologyBrier = rate * (1 - rate);
  return {
    training,
    heldOut,
    priorOnlyHeldOut: { brier: prior.brier, detected: prior.detected, falseAlarmRate: prior.falseAlarmRate },
    climatologyBrier,
    model: { ...model, version: modelVersion(model) },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(fleetStudy(Number(process.argv[2] ?? 200)), null, 2));
}
