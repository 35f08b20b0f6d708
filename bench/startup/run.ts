/**
 * `npm run bench:startup`: start-up of `foreshadow run` per app group with empty state (spawn →
 * /readyz 200, median of 3, with the phases), the restart costs (changelog tail vs full restore),
 * and the cost of what the demo used to do per source topic (kafkajs admin.setOffsets). Writes
 * bench/results/startup.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { requireStack } from '../../cli/cluster-check.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { DEFAULT_STARTUP, runStartupBench } from './ready-time.js';

async function main(): Promise<void> {
  const conn = loadConnection();
  await requireStack(conn);
  const loadBefore = loadavg();
  const result = await runStartupBench(conn, { ...DEFAULT_STARTUP, log: (l) => console.log(`[startup] ${l}`) });
  const out = {
    measuredAt: new Date().toISOString(),
    loadAverage: { before: loadBefore, after: loadavg() },
    ...result,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/startup.json', `${JSON.stringify(out, null, 2)}\n`);
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
  console.log('written bench/results/startup.json');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench:startup: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
