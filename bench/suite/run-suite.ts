/**
 * `npm run bench`: the benchmark suite of issue #9 on the local stack. Stages run one after the
 * other (never in parallel: two cores), each isolated so one failing stage is reported as such and
 * the others still run. Writes bench/results/suite.json (suite-short.json for --short) and prints
 * the table.
 *
 *   npm run bench                       full form, 3 repeats, medians
 *   npm run bench -- --short            CI form (BENCH_SHORT=1), ~1-2 minutes, timings meaningless
 *   npm run bench -- --only=peers --repeats=1 --guarantees=eos --out=/tmp/x.json
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { USAGE_EXIT_CODE, UsageError } from '../../cli/args.js';
import { kafkaVersion, runBrokerStage } from './broker-tools.js';
import { runClientStage } from './clients.js';
import { REPO_ROOT } from './foreshadow-runtime.js';
import { parseOptions } from './options.js';
import { runPeerStage } from './peers.js';
import { PIPELINE_TARGETS, runPipelineStage } from './pipeline.js';
import { formatTable } from './report.js';
import { emptySection, type Section, type SuiteResult } from './types.js';

function skipped(reason: string): Section {
  return { ...emptySection(), status: 'not-available', reason };
}

/**
 * With --only, the other sections are carried over from the existing results file (each keeps the
 * `measuredAt` of the run that measured it), so re-running one stage late does not erase the rest.
 */
function previous(outFile: string): Partial<SuiteResult['sections']> {
  try {
    if (!existsSync(outFile)) return {};
    const old = JSON.parse(readFileSync(outFile, 'utf8')) as SuiteResult;
    const sections: Partial<SuiteResult['sections']> = {};
    for (const [k, v] of Object.entries(old.sections)) {
      if (v.status !== 'not-available' || v.measurements.length > 0 || !v.reason?.includes('not selected')) {
        (sections as Record<string, Section>)[k] = { ...v, measuredAt: v.measuredAt ?? old.startedAt };
      }
    }
    return sections;
  } catch {
    return {};
  }
}

async function stage<S extends Section>(
  name: string,
  enabled: boolean,
  fallback: S,
  carried: S | undefined,
  startedAt: string,
  fn: () => Promise<S>,
): Promise<S> {
  if (!enabled) return carried ?? { ...fallback, ...skipped(`stage ${name} not selected (--only)`) };
  const t0 = Date.now();
  console.error(`[bench] ${name}: running`);
  try {
    const s = await fn();
    console.error(`[bench] ${name}: ${s.status} in ${Math.round((Date.now() - t0) / 1000)} s`);
    return { ...s, measuredAt: startedAt };
  } catch (err: unknown) {
    const reason = err instanceof Error ? err.message : String(err);
    console.error(`[bench] ${name}: failed: ${reason}`);
    return { ...fallback, status: 'failed', reason, measuredAt: startedAt };
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const loadAvgStart = loadavg();
  const out = resolve(REPO_ROOT, o.outFile);
  const old = previous(out);
  const broker = await stage('broker', o.only.has('broker'), emptySection(), old.broker, startedAt, () =>
    runBrokerStage(o),
  );
  const clients = await stage('clients', o.only.has('clients'), emptySection(), old.clients, startedAt, () =>
    runClientStage(o),
  );
  const pipeline = await stage(
    'pipeline',
    o.only.has('pipeline'),
    { ...emptySection(), targets: PIPELINE_TARGETS },
    old.pipeline,
    startedAt,
    () => runPipelineStage(o),
  );
  const peers = await stage('peers', o.only.has('peers'), { ...emptySection(), ratios: [] }, old.peers, startedAt, () =>
    runPeerStage(o),
  );
  const result: SuiteResult = {
    suite: 'foreshadow-bench',
    version: 1,
    mode: o.mode,
    repeats: o.repeats,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      loadAvgStart,
      loadAvgEnd: loadavg(),
      node: process.version,
      kafka: `Apache Kafka ${kafkaVersion()} KRaft, single local broker`,
    },
    sections: { broker, clients, pipeline, peers },
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(formatTable(result));
  console.log(`\nwritten: ${out}`);
  // kafkajs and child-process handles can keep the loop alive after the last stage; the results are written.
  process.exit(0);
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(`${err.message}\n${err.usage}`);
    process.exit(USAGE_EXIT_CODE);
  }
  console.error(err);
  process.exit(1);
});
