/**
 * `npm run bench:failover [-- --short] [--trials N] [--no-sentinel-default] [--out file]`: the
 * failover drill (drill.ts). Prints the table, writes bench/results/failover.json (or --out; tests
 * write to a temp dir). `--short` (CI): one trial per case and brief steady phases; the full form
 * runs 5 trials per case and Sentinel with its defaults (30 s down-after) once.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { numberFlag, parseFlags, runMain } from '../../cli/args.js';
import { Progress } from '../../demo/progress.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { failoverTable, runFailoverDrill } from './drill.js';

const FLAGS = {
  command: 'bench:failover',
  usage: 'usage: npm run bench:failover -- [--short] [--trials N] [--no-sentinel-default] [--out file]',
  options: {
    short: { type: 'boolean' },
    'no-sentinel-default': { type: 'boolean' },
    trials: { type: 'string' },
    out: { type: 'string' },
  },
} as const;

async function main(args: string[]): Promise<number> {
  const { values } = parseFlags(args, FLAGS);
  const short = values.short === true;
  const trials = numberFlag(values.trials, 'trials', FLAGS, { min: 1, integer: true }) ?? (short ? 1 : 5);
  const out = values.out ?? 'bench/results/failover.json';
  const progress = new Progress();
  const result = await runFailoverDrill(
    loadConnection(),
    {
      steadyMs: short ? 1_500 : 5_000,
      trials,
      // Sentinel tuned to 1 s (its usual fast setting), and a faster interval; each run by both.
      settings: [
        { probeIntervalMs: 1_000, downAfterMs: 1_000 },
        { probeIntervalMs: 250, downAfterMs: 250 },
      ],
      sentinelDefault: values['no-sentinel-default'] !== true,
      pauseShare: 0.6,
      progress,
    },
    short,
  );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${failoverTable(result)}\n`);
  for (const c of result.cases)
    for (const [i, t] of c.trials.entries())
      console.log(
        `${c.name} #${i + 1}: pause ${JSON.stringify(t.falsePositive)} · timeline ${JSON.stringify(t.kill?.timeline ?? null)}${t.kill?.notes.length ? ` · ${t.kill.notes.join('; ')}` : ''}`,
      );
  console.log(`load before: ${result.load.before}\nload after:  ${result.load.after}`);
  console.log(`written ${out}`);
  return 0;
}

// The drill's clients can keep the loop alive after the results are written.
runMain(() => main(process.argv.slice(2)), { exit: true });
