/**
 * The fleet reports. The fleet-wide model is trained online on one simulated fleet (every host's
 * examples into one model, as the trainer does on Kafka), then judged frozen on fleets it never
 * saw:
 * - `fleetStudy`: another seed of the same kind of fleet (the test's held-out check);
 * - `fleetShiftStudy`: fleets whose faults and noise differ from the training fleet's (another
 *   fault mix, slower or faster ramps of other shapes, noisier hosts with more benign events):
 *   calibration (reliability curve, Brier score against the base rate's and the untrained prior's),
 *   lead-time distribution, false alarms per healthy host-day.
 * `npm run bench:fleet [-- --hosts 200] [--out bench/results/fleet.json]` prints and writes the
 * shift study; `npx tsx bench/fleet/fleet-report.ts --held-out` the same-kind study.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { numberFlag, parseFlags, runMain } from '../../cli/args.js';
import { type ModelState, modelVersion, newModel } from '../../streams/processors/failure-risk/model.js';
import { evaluateFleet, type FleetReport } from './fleet-eval.js';
import type { FleetSimOptions } from './fleet-sim.js';

export interface FleetStudy {
  training: Omit<FleetReport, 'outcomes'>;
  heldOut: Omit<FleetReport, 'outcomes'>;
  priorOnlyHeldOut: { brier: number; detected: number; falseAlarmRate: number };
  climatologyBrier: number;
  model: ModelState & { version: string };
}

/** Brier score of always predicting the report's own base rate (the score to beat). */
export function climatologyBrier(r: Pick<FleetReport, 'reliability' | 'evaluations'>): number {
  const rate = r.reliability.reduce((s, b) => s + b.observedRate * b.count, 0) / Math.max(1, r.evaluations);
  return rate * (1 - rate);
}

export function fleetStudy(hosts = 200, trainSeed = 1, testSeed = 2): FleetStudy {
  const model = newModel();
  const { outcomes: _a, ...training } = evaluateFleet({ sim: { hosts, seed: trainSeed }, learn: true }, model);
  const { outcomes: _b, ...heldOut } = evaluateFleet(
    { sim: { hosts, seed: testSeed }, learn: false },
    structuredClone(model),
  );
  const prior = evaluateFleet({ sim: { hosts, seed: testSeed }, learn: false }, newModel());
  return {
    training,
    heldOut,
    priorOnlyHeldOut: { brier: prior.brier, detected: prior.detected, falseAlarmRate: prior.falseAlarmRate },
    climatologyBrier: climatologyBrier(heldOut),
    model: { ...model, version: modelVersion(model) },
  };
}

/** Fleets unlike the training one (which is the simulator's default: equal fault mix, linear ramps). */
export const SHIFTED_FLEETS: ReadonlyArray<{ name: string; description: string; sim: Partial<FleetSimOptions> }> = [
  {
    name: 'same-kind',
    description: 'another seed of the training kind of fleet (equal fault mix, linear ramps, usual noise)',
    sim: { seed: 2 },
  },
  {
    name: 'slow-noisy',
    description:
      'leak-heavy mix (2 leaks : 1 disk : 1 storm : 1 crash), ramps at half speed and accelerating, twice the noise and the benign events',
    sim: {
      seed: 3,
      faultKinds: ['memory-leak', 'memory-leak', 'disk-fill', 'error-storm', 'sudden-crash'],
      rateScale: 0.5,
      rampShape: 'accelerating',
      noiseScale: 2,
      benignScale: 2,
    },
  },
  {
    name: 'fast-stepped',
    description:
      'storm- and crash-heavy mix (1 leak : 1 disk : 2 storms : 2 crashes), ramps at 1.6x speed in 45-minute steps, 1.5x the noise',
    sim: {
      seed: 4,
      faultKinds: ['memory-leak', 'disk-fill', 'error-storm', 'error-storm', 'sudden-crash', 'sudden-crash'],
      rateScale: 1.6,
      rampShape: 'stepped',
      noiseScale: 1.5,
      benignScale: 1.5,
    },
  },
];

/** Finer probability bands than the default, for a reliability curve. */
export const RELIABILITY_EDGES = [0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.7, 1];

export interface FleetJudgement {
  name: string;
  description: string;
  sim: Partial<FleetSimOptions>;
  hosts: number;
  predictableFailures: number;
  detected: number;
  detectedByPrior: number;
  byFault: FleetReport['byFault'];
  leadTimeMin: FleetReport['leadTimeDistribution'];
  falseAlarms: {
    episodesPerHealthyHostDay: number;
    episodes: number;
    healthyHostDays: number;
    steadyHostsWithAlarm: number;
    steadyHosts: number;
    priorEpisodesPerHealthyHostDay: number;
  };
  calibration: {
    evaluations: number;
    baseRate: number;
    brier: number;
    brierBaseRate: number;
    brierPrior: number;
    /** 1 - brier / brierBaseRate: the share of the base rate's error the model removes. */
    skillVsBaseRate: number;
    /** 1 - brier / brierPrior. */
    skillVsPrior: number;
    reliability: FleetReport['reliability'];
    reliabilityPrior: FleetReport['reliability'];
  };
}

export interface FleetShiftStudy {
  generatedAt: string;
  command: string;
  machine: { cpu: string; cores: number; loadAverage: number[]; node: string };
  training: {
    sim: Partial<FleetSimOptions>;
    hosts: number;
    failures: number;
    examples: number;
    positives: number;
    model: ModelState & { version: string };
  };
  judged: FleetJudgement[];
}

export function fleetShiftStudy(hosts = 200, trainSeed = 1): FleetShiftStudy {
  const model = newModel();
  const trainSim = { hosts, seed: trainSeed };
  const training = evaluateFleet({ sim: trainSim, learn: true }, model);
  const judged = SHIFTED_FLEETS.map(({ name, description, sim }): FleetJudgement => {
    const options = { sim: { ...sim, hosts }, learn: false, reliabilityEdges: RELIABILITY_EDGES };
    const r = evaluateFleet(options, structuredClone(model));
    const p = evaluateFleet(options, newModel());
    const baseRate = r.reliability.reduce((s, b) => s + b.observedRate * b.count, 0) / Math.max(1, r.evaluations);
    const brierBaseRate = baseRate * (1 - baseRate);
    return {
      name,
      description,
      sim,
      hosts,
      predictableFailures: r.predictableFailures,
      detected: r.detected,
      detectedByPrior: p.detected,
      byFault: r.byFault,
      leadTimeMin: r.leadTimeDistribution,
      falseAlarms: {
        episodesPerHealthyHostDay: r.falseAlarmEpisodesPerHostDay,
        episodes: r.falseAlarmEpisodes,
        healthyHostDays: r.healthyHostDays,
        steadyHostsWithAlarm: r.falseAlarmHosts,
        steadyHosts: r.steadyHosts,
        priorEpisodesPerHealthyHostDay: p.falseAlarmEpisodesPerHostDay,
      },
      calibration: {
        evaluations: r.evaluations,
        baseRate,
        brier: r.brier,
        brierBaseRate,
        brierPrior: p.brier,
        skillVsBaseRate: 1 - r.brier / brierBaseRate,
        skillVsPrior: 1 - r.brier / p.brier,
        reliability: r.reliability,
        reliabilityPrior: p.reliability,
      },
    };
  });
  return {
    generatedAt: new Date().toISOString(),
    command: `npm run bench:fleet -- --hosts ${hosts}`,
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
      node: process.version,
    },
    training: {
      sim: trainSim,
      hosts,
      failures: training.outcomes.filter((x) => x.failedAt !== null).length,
      examples: model.updates,
      positives: model.positives,
      model: { ...model, version: modelVersion(model) },
    },
    judged,
  };
}

const FLAGS = {
  command: 'bench:fleet',
  usage: 'usage: npm run bench:fleet -- [--hosts <n>] [--out <file>] [--held-out]',
  options: { hosts: { type: 'string' }, out: { type: 'string' }, 'held-out': { type: 'boolean' } },
} as const;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runMain(async () => {
    const { values } = parseFlags(process.argv.slice(2), FLAGS);
    const hosts = numberFlag(values.hosts, 'hosts', FLAGS, { min: 1, integer: true }) ?? 200;
    if (values['held-out']) {
      console.log(JSON.stringify(fleetStudy(hosts), null, 2));
      return 0;
    }
    const study = fleetShiftStudy(hosts);
    const out = values.out ?? 'bench/results/fleet.json';
    writeFileSync(out, `${JSON.stringify(study, null, 2)}\n`);
    console.log(JSON.stringify(study, null, 2));
    return 0;
  });
}
