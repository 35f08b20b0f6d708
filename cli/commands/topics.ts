/** `foreshadow topics`: creates the topic catalogue (and dead-letter topics) idempotently. */
import { DEAD_LETTER_TOPICS, TOPICS, topicTableMarkdown } from '../../streams/catalogue.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { createKafka } from '../../streams/runtime/kafka-client.js';
import { ensureTopics } from '../../streams/runtime/topic-admin.js';
import { parseFlags } from '../args.js';
import type { CliCommand } from '../command.js';

const FLAGS = {
  command: 'topics',
  usage: 'usage: foreshadow topics [--markdown]',
  options: { markdown: { type: 'boolean' } },
} as const;

export const command: CliCommand = {
  summary: 'create the topic catalogue and dead-letter topics (idempotent); --markdown prints the README table',
  async run(args) {
    if (parseFlags(args, FLAGS).values.markdown) {
      console.log(topicTableMarkdown());
      return 0;
    }
    const conn = loadConnection();
    const admin = createKafka(conn, 'foreshadow-topics').admin();
    await admin.connect();
    try {
      const changes = await ensureTopics(admin, [...TOPICS, ...DEAD_LETTER_TOPICS]);
      for (const c of changes) console.log(`${c.action.padEnd(18)} ${c.topic}${c.detail ? `  (${c.detail})` : ''}`);
      const created = changes.filter((c) => c.action !== 'unchanged').length;
      console.log(`${changes.length} topics checked, ${created} created or updated`);
      return 0;
    } finally {
      await admin.disconnect();
    }
  },
};
