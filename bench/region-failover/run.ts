/**
 * `npm run bench:region-failover [-- --runs N --history-minutes M --rows R --burst B --out FILE]`:
 * the local region drill (real/drill.ts): real PostgreSQL, Redis, HAProxy and BIND processes in
 * two loopback "regions", a region failover through the orchestrator's plan and the real
 * actuators, warm (live blueprint) vs cold (discover and size at failover time), medians over N
 * runs of each. Needs the local stack's Kafka (the evidence and metrics history live there).
 * Prints the table and writes bench/results/region-failover.json (or --out).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseFlags, runMain } from '../../cli/args.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { runRealRegionDrill } from './real/drill.js';
import type { RealDrillResult } from './real/report.js';
import { drillTable } from './real/table.js';

function positive(name: string, value: string | undefined, fallback: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

// The drill's producers use kafkajs' default partitioner on purpose (one-partition topics).
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

const FLAGS = {
  command: 'bench:region-failover',
  usage: 'usage: npm run bench:region-failover -- [--runs N] [--history-minutes M] [--rows R] [--burst B] [--out FILE]',
  options: {
    runs: { type: 'string' },
    'history-minutes': { type: 'string' },
    rows: { type: 'string' },
    burst: { type: 'string' },
    out: { type: 'string' },
  },
} as const;

async function main(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, FLAGS);
  const runs = positive('runs', values.runs, 5);
  if (runs < 1) throw new Error('--runs must be at least 1');
  const out = values.out ?? 'bench/results/region-failover.json';
  const uptimeBefore = uptime();
  const result: RealDrillResult & { command?: string; uptime?: { before: string; after: string } } =
    await runRealRegionDrill({
      runs,
      historyMinutes: positive('history-minutes', values['history-minutes'], 15),
      rows: positive('rows', values.rows, 2_000),
      burst: positive('burst', values.burst, 20),
      connection: loadConnection(),
      log: (line) => console.log(line),
    });
  result.command = `npm run bench:region-failover -- ${argv.join(' ')}`.trim();
  result.uptime = { before: uptimeBefore, after: uptime() };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${drillTable(result)}\n`);
  console.log(`uptime before: ${result.uptime.before}\nuptime after:  ${result.uptime.after}`);
  console.log(`written ${out}`);
  return 0;
}

// The drill's clients can keep the loop alive after the results are written.
runMain(() => main(process.argv.slice(2)), { exit: true });
