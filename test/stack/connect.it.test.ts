import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectUrl, consumeUntil, createTopics, deleteTopics, uniqueName } from '../support/kafka.js';

async function connect(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${connectUrl()}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

describe('Kafka Connect worker of the local stack', () => {
  const topic = uniqueName('filestream');
  const name = topic.replaceAll('.', '-');
  afterAll(async () => {
    await connect('DELETE', `/connectors/${name}`);
    await deleteTopics([topic]);
  });

  it('runs a FileStream source connector that moves lines from a file into a topic', async () => {
    const plugins = (await connect('GET', '/connector-plugins')).json as { class: string }[];
    expect(plugins.map((p) => p.class)).toContain('org.apache.kafka.connect.file.FileStreamSourceConnector');

    await createTopics([{ topic, numPartitions: 1 }]);
    const file = join(mkdtempSync(join(tmpdir(), 'fs-src-')), 'metrics.txt');
    writeFileSync(file, 'cpu,host=h1 usage_user=12.5 1700000000000000000\n');
    const created = await connect('PUT', `/connectors/${name}/config`, {
      'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
      'tasks.max': '1',
      file,
      topic,
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    });
    expect(created.status).toBe(201);
    appendFileSync(file, 'mem,host=h1 used_percent=40.1 1700000000000000000\n');

    const got = await consumeUntil(topic, (all) => all.length >= 2, 60_000);
    expect(got.map((m) => m.message.value?.toString())).toEqual([
      'cpu,host=h1 usage_user=12.5 1700000000000000000',
      'mem,host=h1 used_percent=40.1 1700000000000000000',
    ]);
    const status = (await connect('GET', `/connectors/${name}/status`)).json as {
      connector: { state: string };
      tasks: { state: string }[];
    };
    expect(status.connector.state).toBe('RUNNING');
    expect(status.tasks[0]?.state).toBe('RUNNING');
  });
});
