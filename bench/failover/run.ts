/**
 * `npm run bench:failover [-- --short]`: the failover drill (drill.ts). Prints the table, writes
 * bench/results/failover.json. `--short` (CI) keeps the steady phases brief; the Sentinel default
 * case (30 s down-after) runs in both forms, since it is the point of comparison.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Progress } from '../../demo/progress.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { failoverTable, runFailoverDrill } from './drill.js';

async function main(args: string[]): Promise<void> {
  const short = args.includes('--short');
  const progress = new Progress();
  const result = await runFailoverDrill(
    loadConnection(),
    {
      steadyMs: short ? 1_500 : 5_000,
      sentinelDefault: !args.includes('--no-sentinel-default'),
      tunedDownAfterMs: 1_000,
      progress,
    },
    short,
  );
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/failover.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${failoverTable(result)}\n`);
  for (const c of result.cases)
    console.log(`${c.name}: timeline ${JSON.stringify(c.timeline)}${c.notes.length ? ` · ${c.notes.join('; ')}` : ''}`);
  console.log('written bench/results/failover.json');
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
