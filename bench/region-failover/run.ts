/**
 * `npm run bench:region-failover [-- --short]`: the region drill (drill.ts). Prints the table,
 * writes bench/results/region-failover.json. `--short` (CI) uses a smaller region and fewer runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { DEFAULT_REGION_DRILL, regionTable, runRegionDrill } from './drill.js';

async function main(args: string[]): Promise<void> {
  const short = args.includes('--short');
  const result = await runRegionDrill(
    short ? { ...DEFAULT_REGION_DRILL, services: 16, edges: 26, hosts: 24, runs: 10 } : DEFAULT_REGION_DRILL,
  );
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/region-failover.json', `${JSON.stringify({ short, ...result }, null, 2)}\n`);
  console.log(`\n${regionTable(result)}\n`);
  console.log(
    `speed-up ×${result.speedup.toFixed(1)} (median cold / median warm); DAG mapped from evidence: ${result.blueprint.mappedEdges} edges, precision ${result.blueprint.precision.toFixed(2)}, recall ${result.blueprint.recall.toFixed(2)}; first warm run: critical path ${result.warm.first.criticalPath.join(' → ')}, ${result.warm.first.launchCommands} launch commands, ${result.warm.first.unmappedRestarts} restart(s) on dependencies the DAG missed`,
  );
  console.log('written bench/results/region-failover.json');
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
