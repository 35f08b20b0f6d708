/**
 * `npm run bench:failover [-- --short] [--no-sentinel-default] [--out FILE]`: the failover drill
 * (drill.ts). Prints the table, writes bench/results/failover.json (or --out: tests write to a
 * temporary folder, never over the committed figures). `--short` (CI) keeps the steady phases
 * brief; the Sentinel default case (30 s down-after) runs in both forms unless left out, since it
 * is the point of comparison.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { Progress } from '../../demo/progress.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { failoverTable, runFailoverDrill } from './drill.js';

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      short: { type: 'boolean', default: false },
      'no-sentinel-default': { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench/results/failover.json' },
    },
  });
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
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
