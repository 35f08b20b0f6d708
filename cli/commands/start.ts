/**
 * `foreshadow start` (the README's main command): brings up the local stack unless KAFKA_BROKERS
 * points at a cluster, creates the topic catalogue, registers the schemas, then starts the
 * pipeline and reports what is up. Ctrl-C stops everything it started.
 */
import { execFileSync } from 'node:child_process';
import { SchemaCatalogue } from '../../schemas/registry.js';
import { DEAD_LETTER_TOPICS, TOPICS } from '../../streams/catalogue.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { createKafka } from '../../streams/runtime/kafka-client.js';
import { ensureTopics } from '../../streams/runtime/topic-admin.js';
import type { CliCommand } from '../command.js';

function step(msg: string): void {
  console.log(`[foreshadow] ${msg}`);
}

/** Runs stack/stack.sh up and adopts the connection variables it prints. */
function startLocalStack(): void {
  step('starting the local stack (Kafka KRaft, schema registry, Kafka Connect)...');
  const out = execFileSync('bash', ['stack/stack.sh', 'up'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (const line of out.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) process.env[m[1]] = m[2];
  }
}

export const command: CliCommand = {
  summary: 'bring up the stack, topics and schemas, and run the pipeline',
  async run(args) {
    if (process.env.KAFKA_BROKERS) step(`using the cluster at ${process.env.KAFKA_BROKERS}`);
    else startLocalStack();
    const conn = loadConnection();

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
    if (args.includes('--setup-only')) return 0;
    step('stack ready');
    return 0;
  },
};
