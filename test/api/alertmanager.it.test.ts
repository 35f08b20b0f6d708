/**
 * The /alerts webhook with the real Prometheus and Alertmanager from Debian: Prometheus scrapes a
 * tiny exporter this test serves on loopback (a `foreshadow_test_redis_up` gauge the test sets),
 * a rule fires when it is 0 (severity critical, labels host and resource from the series), and
 * Alertmanager posts to the API's /alerts with the bearer token of an `operate` principal. The
 * API is the real fastify server with the Kafka publishers on uniquely named topics. Asserted:
 * the firing alert arrives as a host.failures record (resourceId set, source alertmanager:…) and
 * as FIRING evidence, the call is audited under Alertmanager's principal, and once the gauge is
 * back to 1 the resolved notification arrives as RESOLVED evidence and no second failure.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertView, alertsExtension, KafkaAlertPublisher, loadAlertSettings } from '../../api/alerts.js';
import { hashToken, parseTokens } from '../../api/auth.js';
import { KafkaPublisher } from '../../api/publisher.js';
import { FleetReadModel } from '../../api/read-model.js';
import { buildApiServer } from '../../api/server.js';
import type { AlertEvidence } from '../../schemas/records/alert-evidence.js';
import type { ApiAudit } from '../../schemas/records/api-audit.js';
import type { HostFailure } from '../../schemas/records/host-failure.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { avroSerde } from '../../streams/runtime/serdes.js';
import { freePort, Program, removeDir, tempDir, waitFor } from '../sinks/support.js';
import { brokers, createTopics, deleteTopics, registryUrl, testKafka, uniqueName } from '../support/kafka.js';

const TOKEN = `am-${randomUUID()}`;

interface Arrived<T> {
  topic: string;
  at: number;
  value: T;
}

describe('Alertmanager webhook → /alerts → host.failures (real Prometheus and Alertmanager)', () => {
  const tag = randomUUID().slice(0, 8);
  const host = `h-${tag}`;
  const topics = {
    failures: uniqueName('failures'),
    alerts: uniqueName('alerts'),
    requests: uniqueName('requests'),
    audit: uniqueName('audit'),
  };
  const seen: Arrived<unknown>[] = [];
  let up = 1;
  let dir = '';
  let exporter: Server | undefined;
  let api: FastifyInstance | undefined;
  let prometheus: Program | undefined;
  let alertmanager: Program | undefined;
  let consumer: Consumer | undefined;
  const publishers: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    dir = await tempDir('alertmanager');
    await createTopics(Object.values(topics).map((topic) => ({ topic, numPartitions: 1 })));
    const conn = { ...loadConnection(), brokers: brokers(), registryUrl: registryUrl() };

    // The API: the real server, alerts published on this test's topics.
    const alertPublisher = new KafkaAlertPublisher(conn, 'avro', { alerts: topics.alerts, failures: topics.failures });
    const auditPublisher = new KafkaPublisher(conn, { requestsTopic: topics.requests, auditTopic: topics.audit });
    publishers.push(alertPublisher, auditPublisher);
    api = await buildApiServer({
      readModel: new FleetReadModel(),
      publisher: auditPublisher,
      tokens: parseTokens(`alertmanager:operate:${hashToken(TOKEN)}`),
      extensions: [
        alertsExtension({
          publisher: alertPublisher,
          view: new AlertView(),
          settings: loadAlertSettings({}),
          lookup: () => undefined,
        }),
      ],
    });
    const apiPort = await freePort();
    await api.listen({ host: '127.0.0.1', port: apiPort });

    // What the test controls: one gauge, served like any exporter.
    const exporterPort = await freePort();
    exporter = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(
        `# TYPE foreshadow_test_redis_up gauge\nforeshadow_test_redis_up{host="${host}",resource="redis-${tag}"} ${up}\n`,
      );
    });
    await new Promise<void>((r) => exporter!.listen(exporterPort, '127.0.0.1', r));

    const amPort = await freePort();
    await writeFile(
      join(dir, 'alertmanager.yml'),
      [
        'route:',
        '  receiver: foreshadow',
        '  group_by: [alertname, host]',
        '  group_wait: 1s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: foreshadow',
        '    webhook_configs:',
        `      - url: http://127.0.0.1:${apiPort}/alerts`,
        '        send_resolved: true',
        '        http_config:',
        '          authorization:',
        '            type: Bearer',
        `            credentials: ${TOKEN}`,
        '',
      ].join('\n'),
    );
    alertmanager = new Program('prometheus-alertmanager', [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'am-data')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      // No cluster peer port (it would bind 9094 on every interface).
      '--cluster.listen-address=',
    ]);

    const promPort = await freePort();
    await writeFile(
      join(dir, 'rules.yml'),
      [
        'groups:',
        '  - name: foreshadow-test',
        '    rules:',
        '      - alert: TestRedisDown',
        '        expr: foreshadow_test_redis_up == 0',
        '        labels:',
        '          severity: critical',
        '          failure_kind: crash',
        '        annotations:',
        '          summary: "redis {{ $labels.resource }} on {{ $labels.host }} is down"',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files: [rules.yml]',
        'alerting:',
        '  alertmanagers:',
        `    - static_configs: [{ targets: ['127.0.0.1:${amPort}'] }]`,
        'scrape_configs:',
        '  - job_name: test-exporter',
        `    static_configs: [{ targets: ['127.0.0.1:${exporterPort}'] }]`,
        '',
      ].join('\n'),
    );
    prometheus = new Program(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'prom-data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { cwd: dir },
    );
    for (const [name, port] of [
      ['Alertmanager', amPort],
      ['Prometheus', promPort],
    ] as const) {
      await waitFor(
        `${name} ready`,
        async () => ((await fetch(`http://127.0.0.1:${port}/-/ready`).catch(() => undefined))?.ok ? true : undefined),
        60_000,
      );
    }
    // Prometheus must have scraped the healthy gauge before the test turns it off.
    await waitFor(
      'the exporter to be scraped',
      async () => {
        const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=foreshadow_test_redis_up`).catch(
          () => undefined,
        );
        const body = (await r?.json()) as { data?: { result?: unknown[] } } | undefined;
        return (body?.data?.result?.length ?? 0) > 0 ? true : undefined;
      },
      30_000,
    );

    const anyAvro = avroSerde<unknown>();
    consumer = testKafka('alertmanager-test').consumer({ groupId: `test-am-${tag}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.failures, topics.alerts, topics.audit], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (message.value) seen.push({ topic, at: Date.now(), value: await anyAvro.deserialize(topic, message.value) });
      },
    });
  }, 180_000);

  afterAll(async () => {
    await consumer?.disconnect();
    await prometheus?.stop();
    await alertmanager?.stop();
    await api?.close();
    for (const p of publishers) await p.close();
    await new Promise<void>((r) => (exporter ? exporter.close(() => r()) : r()));
    await deleteTopics(Object.values(topics));
    if (dir) await removeDir(dir);
  }, 60_000);

  const on = <T>(topic: string): Arrived<T>[] => seen.filter((s) => s.topic === topic) as Arrived<T>[];

  it('a firing critical alert becomes a host.failures record and FIRING evidence, audited', async () => {
    const t0 = Date.now();
    up = 0;
    const failure = await waitFor('the host.failures record', () => on<HostFailure>(topics.failures)[0], 60_000).catch(
      (err: unknown) => {
        throw new Error(
          `${String(err)}\nprometheus: ${prometheus?.output.slice(-1500)}\nalertmanager: ${alertmanager?.output.slice(-1500)}`,
        );
      },
    );
    console.log(`gauge to 0 → host.failures via Prometheus and Alertmanager: ${failure.at - t0} ms`);
    expect(failure.value).toMatchObject({
      host,
      resourceId: `redis-${tag}`,
      kind: 'CRASH',
      source: 'alertmanager:TestRedisDown',
      detail: `redis redis-${tag} on ${host} is down`,
    });
    const firing = await waitFor('FIRING evidence', () =>
      on<AlertEvidence>(topics.alerts).find((e) => e.value.status === 'FIRING'),
    );
    expect(firing.value).toMatchObject({ host, failure: true, severity: 'critical', receiver: 'foreshadow' });
    const audit = await waitFor('the audit record', () => on<ApiAudit>(topics.audit)[0]);
    expect(audit.value).toMatchObject({ principal: 'alertmanager', role: 'operate', route: '/alerts', status: 202 });
  });

  it('the resolved notification is RESOLVED evidence, and no second failure', async () => {
    up = 1;
    const resolved = await waitFor(
      'RESOLVED evidence',
      () => on<AlertEvidence>(topics.alerts).find((e) => e.value.status === 'RESOLVED'),
      60_000,
    );
    expect(resolved.value).toMatchObject({ host, resourceId: `redis-${tag}`, failure: true });
    expect(resolved.value.endsAt).not.toBeNull();
    expect(on(topics.failures)).toHaveLength(1);
  });
});
