/**
 * `npm run bench:startup`: start-up of `foreshadow run` per app group with empty state (spawn →
 * /readyz 200, median of 3, with the phases), the restart costs (changelog tail vs full restore),
 * and the cost of what the demo used to do per source topic (kafkajs admin.setOffsets). Writes
 * bench/results/startup.json (or --out FILE).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { parseFlags, runMain } from '../../cli/args.js';
import { requireStack } from '../../cli/cluster-check.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { DEFAULT_STARTUP, runStartupBench } from './ready-time.js';

const FLAGS = {
  command: 'bench:startup',
  usage: 'usage: npm run bench:startup -- [--out FILE]',
  options: { out: { type: 'string' } },
} as const;

async function main(args: string[]): Promise<number> {
  const out = parseFlags(args, FLAGS).values.out ?? 'bench/results/startup.json';
  const conn = loadConnection();
  await requireStack(conn);
  const loadBefore = loadavg();
  const result = await runStartupBench(conn, { ...DEFAULT_STARTUP, log: (l) => console.log(`[startup] ${l}`) });
  const json = {
    measuredAt: new Date().toISOString(),
    loadAverage: { before: loadBefore, after: loadavg() },
    ...result,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  for (const [group, r] of Object.entries(result.emptyState))
    console.log(
      `${group.padEnd(12)} ready in ${r.medianMs} ms (median of ${r.runs.length}; ${r.runs.map((x) => x.readyMs).join(', ')})`,
    );
  console.log(
    `restart with state: ${result.restart.withState.readyMs} ms, ${result.restart.withState.restoredRecords} of ${result.restart.stateRecords} changelog records replayed; without state: ${result.restart.withoutState.readyMs} ms, ${result.restart.withoutState.restoredRecords} replayed`,
  );
  console.log(
    `admin.setOffsets per topic (the old start at the present): ${result.explain.adminSetOffsetsPerTopicMs} ms`,
  );
  console.log(`written ${out}`);
  return 0;
}

// The spawned processes' clients can keep the loop alive after the results are written.
runMain(() => main(process.argv.slice(2)), { exit: true });
