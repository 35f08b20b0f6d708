/**
 * `npm run bench:failover [-- --short] [--no-sentinel-default] [--out FILE]`: the failover drill
 * (drill.ts). Prints the table, writes bench/results/failover.json (or --out: tests write to a
 * temporary folder, never over the committed figures). `--short` (CI) keeps the steady phases
 * brief; the Sentinel default case (30 s down-after) runs in both forms unless left out, since it
 * is the point of comparison.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseFlags, runMain } from '../../cli/args.js';
import { Progress } from '../../demo/progress.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { failoverTable, runFailoverDrill } from './drill.js';

const FLAGS = {
  command: 'bench:failover',
  usage: 'usage: npm run bench:failover -- [--short] [--no-sentinel-default] [--out FILE]',
  options: { short: { type: 'boolean' }, 'no-sentinel-default': { type: 'boolean' }, out: { type: 'string' } },
} as const;

async function main(args: string[]): Promise<number> {
  const { values } = parseFlags(args, FLAGS);
  const short = values.short === true;
  const out = values.out ?? 'bench/results/failover.json';
  const progress = new Progress();
  const result = await runFailoverDrill(
    loadConnection(),
    {
      steadyMs: short ? 1_500 : 5_000,
      sentinelDefault: values['no-sentinel-default'] !== true,
      tunedDownAfterMs: 1_000,
      progress,
    },
    short,
  );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${failoverTable(result)}\n`);
  for (const c of result.cases)
    console.log(`${c.name}: timeline ${JSON.stringify(c.timeline)}${c.notes.length ? ` · ${c.notes.join('; ')}` : ''}`);
  console.log(`written ${out}`);
  return 0;
}

// The drill's clients can keep the loop alive after the results are written.
runMain(() => main(process.argv.slice(2)), { exit: true });
