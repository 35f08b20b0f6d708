/**
 * `npm run bench:takeover [-- --long] [--out FILE]`: the scale-out drill (takeover.ts): three `foreshadow run
 * --apps host-health` processes, one SIGKILLed while samples flow; prints the takeover times and
 * the exactly-once tally, writes bench/results/takeover.json (or --out). `--long`: 200 hosts,
 * three kills.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseFlags, runMain } from '../../cli/args.js';
import { requireStack } from '../../cli/cluster-check.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { LONG_TAKEOVER, runTakeoverDrill, SHORT_TAKEOVER } from './takeover.js';

const FLAGS = {
  command: 'bench:takeover',
  usage: 'usage: npm run bench:takeover -- [--long] [--out FILE]',
  options: { long: { type: 'boolean' }, out: { type: 'string' } },
} as const;

async function main(args: string[]): Promise<number> {
  const { values } = parseFlags(args, FLAGS);
  const long = values.long === true;
  const out = values.out ?? 'bench/results/takeover.json';
  const conn = loadConnection();
  await requireStack(conn);
  const result = await runTakeoverDrill(conn, {
    ...(long ? LONG_TAKEOVER : SHORT_TAKEOVER),
    log: (l) => console.log(`[takeover] ${l}`),
  });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ measuredAt: new Date().toISOString(), long, ...result }, null, 2)}\n`);
  for (const r of result.rounds)
    console.log(
      `kill process ${r.victim}: metrics.samples back after ${r.ingestTakeoverMs} ms, health.risk after ${r.riskTakeoverMs} ms`,
    );
  console.log(
    `samples: ${JSON.stringify(result.samples)} · risk: ${JSON.stringify(result.risk)} · drain exit codes ${result.drainExitCodes}`,
  );
  console.log(`written ${out}`);
  return 0;
}

// The drill's clients can keep the loop alive after the results are written.
runMain(() => main(process.argv.slice(2)), { exit: true });
