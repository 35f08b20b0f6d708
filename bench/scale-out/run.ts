/**
 * `npm run bench:takeover [-- --long]`: the scale-out drill (takeover.ts): three `foreshadow run
 * --apps host-health` processes, one SIGKILLed while samples flow; prints the takeover times and
 * the exactly-once tally, writes bench/results/takeover.json. `--long`: 200 hosts, three kills.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { requireStack } from '../../cli/cluster-check.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { LONG_TAKEOVER, runTakeoverDrill, SHORT_TAKEOVER } from './takeover.js';

async function main(args: string[]): Promise<void> {
  const conn = loadConnection();
  await requireStack(conn);
  const long = args.includes('--long');
  const result = await runTakeoverDrill(conn, {
    ...(long ? LONG_TAKEOVER : SHORT_TAKEOVER),
    log: (l) => console.log(`[takeover] ${l}`),
  });
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/takeover.json',
    `${JSON.stringify({ measuredAt: new Date().toISOString(), long, ...result }, null, 2)}\n`,
  );
  for (const r of result.rounds)
    console.log(
      `kill process ${r.victim}: metrics.samples back after ${r.ingestTakeoverMs} ms, health.risk after ${r.riskTakeoverMs} ms`,
    );
  console.log(
    `samples: ${JSON.stringify(result.samples)} · risk: ${JSON.stringify(result.risk)} · drain exit codes ${result.drainExitCodes}`,
  );
  console.log('written bench/results/takeover.json');
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench:takeover: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
