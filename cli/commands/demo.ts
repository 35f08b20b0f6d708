/**
 * `foreshadow demo` (what `npm start` runs): brings up the local stack unless KAFKA_BROKERS points
 * at a cluster, creates the topic catalogue, registers the schemas, then runs the demo
 * (demo/demo.ts): every processor and actuator as `foreshadow run` processes, real Redis primaries
 * behind HAProxy with client load, a simulated fleet, and the dashboard. Ctrl-C stops everything it
 * started. The Debian programs it drives are checked first (and installed when this user may).
 *
 * Options: --duration <s> (stop after s seconds), --api-port <n> (default 8088), --acceleration <x>
 * (simulated seconds per second, default 30), --history-hours <h>, --per-app (one process per app),
 * --keep (keep the run directory with its logs), --setup-only (stack, topics, schemas only).
 */
import { DEFAULT_DEMO, type DemoOptions, runDemo } from '../../demo/demo.js';
import { SchemaCatalogue } from '../../schemas/registry.js';
import { DEAD_LETTER_TOPICS, TOPICS } from '../../streams/catalogue.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { createKafka } from '../../streams/runtime/kafka-client.js';
import { ensureTopics } from '../../streams/runtime/topic-admin.js';
import { numberFlag, parseFlags } from '../args.js';
import { checkCluster } from '../cluster-check.js';
import type { CliCommand } from '../command.js';
import { startLocalStack } from '../local-stack.js';
import { ensureDebianPrograms, requireStackTools } from '../programs.js';

const FLAGS = {
  command: 'demo',
  usage:
    'usage: foreshadow demo [--duration <s>] [--api-port <n>] [--acceleration <x>] [--history-hours <h>] [--per-app] [--keep] [--setup-only]',
  options: {
    duration: { type: 'string' },
    'api-port': { type: 'string' },
    acceleration: { type: 'string' },
    'history-hours': { type: 'string' },
    'per-app': { type: 'boolean' },
    keep: { type: 'boolean' },
    'setup-only': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
} as const;

/** Programs the demo starts itself (Redis primaries and shadows, HAProxy in front of them). */
export const DEMO_PROGRAMS = ['redis-server', 'haproxy'] as const;

export interface DemoCommandOptions {
  demo: DemoOptions;
  setupOnly: boolean;
  help: boolean;
}

/** The command line of `foreshadow demo`; throws UsageError on an unknown flag or a bad number. */
export function demoOptions(args: readonly string[]): DemoCommandOptions {
  const { values } = parseFlags(args, FLAGS);
  const num = (flag: keyof typeof FLAGS.options, opts?: { integer?: boolean }): number | undefined =>
    numberFlag(values[flag] as string | undefined, flag, FLAGS, opts);
  return {
    demo: {
      ...DEFAULT_DEMO,
      durationMs: (num('duration') ?? 0) * 1000,
      apiPort: num('api-port', { integer: true }) ?? Number(process.env.API_PORT ?? DEFAULT_DEMO.apiPort),
      acceleration: num('acceleration') ?? DEFAULT_DEMO.acceleration,
      historyHours: num('history-hours') ?? DEFAULT_DEMO.historyHours,
      perApp: values['per-app'] === true,
      keepRunDir: values.keep === true,
    },
    setupOnly: values['setup-only'] === true,
    help: values.help === true,
  };
}

function step(msg: string): void {
  console.log(`[foreshadow] ${msg}`);
}

export const command: CliCommand = {
  summary: 'the demo (npm start): local stack, topics, schemas, the pipeline, real Redis and a simulated fleet',
  async run(args) {
    // Refused before anything starts: a misspelt flag must not cost a stack start-up.
    const options = demoOptions(args);
    if (options.help) {
      console.log(FLAGS.usage);
      return 0;
    }
    if (!options.setupOnly) ensureDebianPrograms(DEMO_PROGRAMS, step);
    if (process.env.KAFKA_BROKERS) step(`using the cluster at ${process.env.KAFKA_BROKERS}`);
    else {
      requireStackTools();
      step('starting the local stack (Kafka KRaft, schema registry, Kafka Connect)...');
      startLocalStack();
    }
    const conn = loadConnection();
    await checkCluster(conn, { hint: 'start the local stack with `npm run stack:up`, or fix KAFKA_BROKERS' });

    const admin = createKafka(conn, 'foreshadow-start').admin();
    await admin.connect();
    try {
      const changes = await ensureTopics(admin, [...TOPICS, ...DEAD_LETTER_TOPICS]);
      step(`topics ready: ${changes.length} (${changes.filter((c) => c.action === 'created').length} created)`);
    } finally {
      await admin.disconnect();
    }
    const registered = await new SchemaCatalogue(conn.registryUrl).registerCatalogue();
    step(`schemas registered: ${registered.length} subjects at ${conn.registryUrl}`);
    step(`Kafka ${conn.brokers.join(',')} · registry ${conn.registryUrl} · Connect ${conn.connectUrl}`);
    if (options.setupOnly) return 0;
    step('stack ready');
    const summary = await runDemo(conn, options.demo);
    // One machine-readable line: what the run did (tests and CI read it).
    console.log(`[foreshadow] summary ${JSON.stringify(summary)}`);
    return 0;
  },
};
