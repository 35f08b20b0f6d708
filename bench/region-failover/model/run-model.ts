/**
 * `npm run bench:region-failover:model [-- --short] [--out FILE]`: the MODEL of the region
 * failover (drill.ts in this folder): simulated boot delays on a virtual clock, not a measurement.
 * Its parameters decide its result; the measurement is `npm run bench:region-failover`
 * (../real/). Prints the table and writes bench/results/region-failover-model.json (or --out).
 * `--short` (CI) uses a smaller region and fewer runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseFlags, runMain } from '../../../cli/args.js';
import { DEFAULT_REGION_DRILL, regionTable, runRegionDrill } from './drill.js';

const FLAGS = {
  command: 'bench:region-failover:model',
  usage: 'usage: npm run bench:region-failover:model -- [--short] [--out FILE]',
  options: { short: { type: 'boolean' }, out: { type: 'string' } },
} as const;

async function main(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, FLAGS);
  const short = values.short === true;
  const out = values.out ?? 'bench/results/region-failover-model.json';
  const result = await runRegionDrill(
    short ? { ...DEFAULT_REGION_DRILL, services: 16, edges: 26, hosts: 24, runs: 10 } : DEFAULT_REGION_DRILL,
  );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ model: true, short, ...result }, null, 2)}\n`);
  console.log(`\n(MODEL: simulated delays on a virtual clock, not a measurement)\n${regionTable(result)}\n`);
  console.log(
    `speed-up ×${result.speedup.toFixed(1)} (median cold / median warm); DAG mapped from evidence: ${result.blueprint.mappedEdges} edges, precision ${result.blueprint.precision.toFixed(2)}, recall ${result.blueprint.recall.toFixed(2)}; first warm run: critical path ${result.warm.first.criticalPath.join(' → ')}, ${result.warm.first.launchCommands} launch commands, ${result.warm.first.unmappedRestarts} restart(s) on dependencies the DAG missed`,
  );
  console.log(`written ${out}`);
  return 0;
}

runMain(() => main(process.argv.slice(2)), { exit: true });
