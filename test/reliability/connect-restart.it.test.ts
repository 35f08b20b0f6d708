/**
 * Connect worker restart: a second, isolated Connect worker of our own (stack/stack.sh with
 * FORESHADOW_INSTANCE_DIR, its own port, group and internal topics, on the shared broker) runs a
 * FileStreamSource connector; the worker is stopped and started again while lines keep being
 * appended. The connector must come back RUNNING by itself (its config lives in Kafka) and every
 * line must reach the topic; the source resumes from its committed offset (no line twice).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep } from '../streams/fixtures/streams-helpers.js';
import { brokers, consumeSettled, consumeUntil, createTopics, deleteTopics, uniqueName } from '../support/kafka.js';
import { recordFigure } from './support/figures.js';

const TEST_TIMEOUT_MS = Number(process.env.RELIABILITY_TIMEOUT_MS ?? '420000');
const PORT = Number(process.env.CONNECT_RESTART_PORT ?? '18383');
const LINES = 200;

describe('Connect worker restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'foreshadow-connect-'));
  const id = randomUUID().slice(0, 8);
  const topic = uniqueName('connect-restart');
  const suffix = `-restart-${id}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FORESHADOW_INSTANCE_DIR: dir,
    FORESHADOW_STACK_COMPONENTS: 'connect',
    FORESHADOW_KAFKA_PORT: brokers()[0]!.split(':')[1]!,
    FORESHADOW_CONNECT_PORT: String(PORT),
    FORESHADOW_CONNECT_GROUP: `foreshadow-connect${suffix}`,
    FORESHADOW_CONNECT_TOPIC_SUFFIX: suffix,
    FORESHADOW_CONNECT_HEAP: '384m',
  };
  delete env.KAFKA_BROKERS;
  const stack = (cmd: 'up' | 'down') =>
    execFileSync('bash', ['stack/stack.sh', cmd], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${PORT}`;

  afterAll(async () => {
    await fetch(`${url}/connectors/file-${id}`, { method: 'DELETE' }).catch(() => undefined);
    stack('down');
    await deleteTopics([topic, ...['configs', 'offsets', 'status'].map((t) => `_connect-${t}${suffix}`)]);
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'resumes its connector after a restart with every line delivered once',
    async () => {
      await createTopics([{ topic, numPartitions: 1 }]);
      const file = join(dir, 'input.txt');
      writeFileSync(file, '');
      let written = 0;
      const write = (n: number) => {
        for (let i = 0; i < n; i++, written++) appendFileSync(file, `line-${written}\n`);
      };
      stack('up');
      const res = await fetch(`${url}/connectors`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `file-${id}`,
          config: { 'connector.class': 'FileStreamSource', 'tasks.max': '1', file, topic },
        }),
      });
      expect(res.status).toBe(201);
      write(LINES / 2);
      await consumeUntil(topic, (all) => all.length >= LINES / 2, 90_000);

      const stoppedAt = Date.now();
      stack('down');
      write(LINES / 4); // written while no worker runs
      stack('up');
      const restartMs = Date.now() - stoppedAt;
      let state = '';
      for (let i = 0; i < 120 && state !== 'RUNNING'; i++) {
        // The REST server may still be joining the group right after start: ask again.
        const s = (await fetch(`${url}/connectors/file-${id}/status`)
          .then((r) => r.json())
          .catch(() => ({}))) as { connector?: { state?: string }; tasks?: { state?: string }[] };
        state =
          s.connector?.state === 'RUNNING' && s.tasks?.[0]?.state === 'RUNNING'
            ? 'RUNNING'
            : (s.connector?.state ?? '');
        if (state !== 'RUNNING') await sleep(500);
      }
      write(LINES / 4);
      const got = await consumeUntil(topic, (all) => all.length >= LINES, 90_000);
      await sleep(3_000);
      const settled = await consumeSettled(topic, LINES, { graceMs: 5_000 });
      const lines = settled.map((m) => {
        const v = m.message.value!.toString();
        // JsonConverter without schemas writes a JSON string.
        return v.startsWith('"') ? (JSON.parse(v) as string) : v;
      });
      const unique = new Set(lines);
      const figures = {
        lines: written,
        delivered: lines.length,
        unique: unique.size,
        duplicates: lines.length - unique.size,
        restartMs,
        stateAfterRestart: state,
      };
      console.log(`connect restart: ${JSON.stringify(figures)}`);
      recordFigure('connect-restart', figures);

      expect(state).toBe('RUNNING');
      expect(got.length).toBeGreaterThanOrEqual(LINES);
      expect(unique.size).toBe(LINES);
      for (let i = 0; i < LINES; i++) expect(unique.has(`line-${i}`), `line-${i}`).toBe(true);
      expect(lines.length).toBe(LINES);
    },
    TEST_TIMEOUT_MS,
  );
});
