import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_SAMPLE_RECORD, type HostSample } from '../../../schemas/records/host-sample.js';
import { buildMetricIngestTopology } from '../../../streams/processors/metric-ingest/topology.js';
import { loadConnection } from '../../../streams/runtime/config.js';
import { StreamsApp } from '../../../streams/runtime/streams-app.js';
import { recordSerde } from '../../../streams/topic-serdes.js';
import {
  brokers,
  type ConsumedMessage,
  consumeUntil,
  createTopics,
  deleteTopics,
  registryUrl,
  testKafka,
  uniqueName,
} from '../../support/kafka.js';

const fixtures = fileURLToPath(new URL('../../fixtures/metrics/', import.meta.url));

/** kcat as a producer: one message per line of `lines`, all with `key`. */
function kcatProduce(topic: string, key: string, lines: string[]): void {
  execFileSync('kcat', ['-P', '-b', brokers().join(','), '-t', topic, '-k', key], { input: `${lines.join('\n')}\n` });
}

/** kcat with a whole payload as one message (-D with a delimiter that never occurs). */
function kcatProduceOne(topic: string, payload: string, key?: string): void {
  const keyArgs = key === undefined ? [] : ['-k', key];
  execFileSync('kcat', ['-P', '-b', brokers().join(','), '-t', topic, '-D', '\u0001', ...keyArgs], { input: payload });
}

describe('metric ingest on the real broker with real producers', () => {
  const prefix = uniqueName('ingest');
  const raw = `${prefix}.raw`;
  const samples = `${prefix}.samples`;
  const applicationId = `${prefix}-app`.replace(/^test\./, 'test-');
  const id = prefix.split('.').pop()!;
  const telegrafHost = `telegraf-${id}`;
  const collectdHost = `collectd-${id}`;
  let app: StreamsApp | undefined;
  let collectd: ChildProcess | undefined;
  let dir = '';
  let all: HostSample[] = [];
  const serde = recordSerde(HOST_SAMPLE_RECORD);

  const decode = async (msgs: ConsumedMessage[]) =>
    Promise.all(msgs.map((m) => serde.deserialize(samples, m.message.value!)));
  /** Re-reads the output topic until `want` holds or 90 s pass; returns everything decoded. */
  const pollSamples = async (want: (s: HostSample[]) => boolean): Promise<HostSample[]> => {
    let decoded: HostSample[] = [];
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      decoded = await decode(await consumeUntil(samples, () => false, 6_000));
      if (want(decoded)) break;
    }
    return decoded;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ingest-it-'));
    // Three partitions and producers without host keys: the repartition must still gather a host's
    // counters on one task.
    await createTopics([
      { topic: raw, numPartitions: 3 },
      { topic: samples, numPartitions: 3 },
    ]);
    const connection = { ...loadConnection(), brokers: brokers(), registryUrl: registryUrl() };
    app = new StreamsApp(
      buildMetricIngestTopology({ applicationId, inputTopic: raw, outputTopic: samples, sampleSerde: serde }),
      {
        guarantee: 'exactly-once',
        connection,
        stateDir: join(dir, 'state'),
        tickMs: 200,
      },
    );
    await app.start();
  });

  afterAll(async () => {
    if (collectd?.pid) collectd.kill('SIGTERM');
    await app?.close();
    await deleteTopics([
      raw,
      samples,
      `${raw}.dlq`,
      `${applicationId}-parsed-repartition`,
      `${applicationId}-metric-ingest-counters-changelog`,
    ]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('normalises Telegraf line protocol produced by kcat, JSON, Avro and OTLP JSON', async () => {
    const now = Date.now();
    const ns = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
    const lp = async (file: string, t: number) =>
      (await readFile(join(fixtures, file), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => l.replace(/host=web-1/, `host=${telegrafHost}`).replace(/ \d+$/, ` ${ns(t)}`));
    // Telegraf's kafka output writes one metric per message; the key is not the host here on purpose.
    kcatProduce(raw, 'telegraf', await lp('telegraf-1.lp', now - 20_000));
    kcatProduce(raw, 'telegraf', await lp('telegraf-2.lp', now - 10_000));
    const otlp = async (file: string, t: number) =>
      (await readFile(join(fixtures, file), 'utf8'))
        .replaceAll(
          /"(start)?[tT]imeUnixNano": "(\d+)"/g,
          (_m, start: string | undefined) =>
            `"${start ? 'startT' : 't'}imeUnixNano": "${ns(start ? t - 3_600_000 : t)}"`,
        )
        .replaceAll('api-1', `otel-${id}`);
    // Keyed by resource (the Collector's partition_metrics_by_resource_attributes): two unkeyed
    // messages may land on different partitions and be read out of order, and a counter read
    // backwards yields no rate.
    kcatProduceOne(raw, await otlp('otlp-1.json', now - 20_000), `otel-${id}`);
    kcatProduceOne(raw, await otlp('otlp-2.json', now - 10_000), `otel-${id}`);

    const producer = testKafka('ingest-it').producer();
    await producer.connect();
    const json = {
      host: `json-${id}`,
      region: 'eu-west-1',
      timestamp: now - 5_000,
      metrics: { 'cpu.utilization': 0.42, 'vendor.queue_depth': 7 },
    };
    const avro: HostSample = {
      host: `avro-${id}`,
      region: 'us-east-1',
      zone: 'us-east-1a',
      timestamp: now - 5_000,
      metrics: { 'mem.utilization': 0.61 },
      tags: { team: 'db' },
      source: 'avro',
    };
    // The Avro record carries the registry's wire format (magic byte + schema id).
    const avroIn = recordSerde(HOST_SAMPLE_RECORD);
    await producer.send({
      topic: raw,
      messages: [{ value: JSON.stringify(json) }, { key: avro.host, value: await avroIn.serialize(raw, avro) }],
    });
    await producer.disconnect();

    const want = (s: HostSample[]) =>
      s.some((x) => x.host === telegrafHost && x.metrics['net.rx_bytes_per_sec'] !== undefined) &&
      s.some((x) => x.host === `otel-${id}` && x.metrics['http.requests_per_sec'] !== undefined) &&
      s.some((x) => x.host === `json-${id}`) &&
      s.some((x) => x.host === `avro-${id}`);
    const decoded = await pollSamples(want);
    all = decoded;
    expect(want(decoded)).toBe(true);

    const telegraf = decoded.filter((s) => s.host === telegrafHost);
    expect(telegraf.every((s) => s.source === 'influx' && s.region === 'eu-west-1')).toBe(true);
    const merged = Object.assign({}, ...telegraf.map((s) => s.metrics)) as Record<string, number>;
    expect(merged['cpu.utilization']).toBeCloseTo(0.125, 9);
    expect(merged['mem.utilization']).toBeCloseTo(0.625, 9);
    expect(merged['disk.utilization']).toBeCloseTo(0.712, 9);
    expect(merged['net.connections']).toBe(42);
    expect(merged['net.rx_bytes_per_sec']).toBeCloseTo(50_000, 3);
    expect(merged['diskio.utilization']).toBeCloseTo(0.25, 9);
    expect(merged['telegraf.system.n_cpus']).toBe(4);

    const otel = decoded.filter((s) => s.host === `otel-${id}`);
    const o2 = otel.find((s) => s.metrics['http.requests_per_sec'] !== undefined)!;
    expect(o2.source).toBe('otlp');
    expect(o2.region).toBe('us-east-1');
    expect(o2.metrics['http.requests_per_sec']).toBeCloseTo(61, 6);
    expect(o2.metrics['http.error_rate']).toBeCloseTo(10 / 610, 9);

    const j = decoded.find((s) => s.host === `json-${id}`)!;
    expect(j).toMatchObject({
      source: 'json',
      region: 'eu-west-1',
      metrics: { 'cpu.utilization': 0.42, 'vendor.queue_depth': 7 },
    });
    const a = decoded.find((s) => s.host === `avro-${id}`)!;
    expect(a).toMatchObject({
      source: 'avro',
      zone: 'us-east-1a',
      metrics: { 'mem.utilization': 0.61 },
      tags: { team: 'db' },
    });
  });

  it('normalises what the collectd write_kafka plugin sends', async () => {
    const conf = join(dir, 'collectd.conf');
    await writeFile(
      conf,
      [
        `Hostname "${collectdHost}"`,
        'FQDNLookup false',
        `BaseDir "${dir}"`,
        `PIDFile "${join(dir, 'collectd.pid')}"`,
        'TypesDB "/usr/share/collectd/types.db"',
        'Interval 1',
        'LoadPlugin cpu',
        'LoadPlugin memory',
        'LoadPlugin load',
        'LoadPlugin interface',
        'LoadPlugin df',
        'LoadPlugin write_kafka',
        '<Plugin cpu>\n  ReportByCpu false\n  ReportByState false\n  ValuesPercentage true\n</Plugin>',
        '<Plugin memory>\n  ValuesAbsolute false\n  ValuesPercentage true\n</Plugin>',
        '<Plugin df>\n  MountPoint "/"\n  ValuesAbsolute false\n  ValuesPercentage true\n</Plugin>',
        `<Plugin write_kafka>\n  Property "metadata.broker.list" "${brokers().join(',')}"\n  <Topic "${raw}">\n    Format JSON\n    StoreRates false\n  </Topic>\n</Plugin>`,
        '',
      ].join('\n'),
    );
    collectd = spawn('/usr/sbin/collectd', ['-f', '-C', conf], { stdio: 'ignore' });
    const want = (s: HostSample[]) => {
      const mine = s.filter((x) => x.host === collectdHost);
      const has = (m: string) => mine.some((x) => x.metrics[m] !== undefined);
      return (
        has('cpu.utilization') &&
        has('mem.utilization') &&
        has('cpu.load1') &&
        has('disk.utilization') &&
        has('net.rx_bytes_per_sec')
      );
    };
    const decoded = await pollSamples(want);
    collectd.kill('SIGTERM');
    const mine = decoded.filter((x) => x.host === collectdHost);
    console.log(
      `collectd: ${mine.length} samples, metrics ${[...new Set(mine.flatMap((x) => Object.keys(x.metrics)))].sort().join(', ')}`,
    );
    expect(want(decoded)).toBe(true);
    expect(mine.every((x) => x.source === 'collectd')).toBe(true);
    for (const s of mine) {
      for (const [name, v] of Object.entries(s.metrics)) {
        expect(Number.isFinite(v)).toBe(true);
        if (name.endsWith('.utilization')) expect(v).toBeGreaterThanOrEqual(0);
        if (name.endsWith('.utilization')) expect(v).toBeLessThanOrEqual(1);
        if (name.endsWith('_per_sec')) expect(v).toBeGreaterThanOrEqual(0);
      }
      expect(Math.abs(s.timestamp - Date.now())).toBeLessThan(5 * 60_000);
    }
    // unknown collectd metrics are kept, e.g. the 5- and 15-minute load
    expect(mine.some((x) => x.metrics['collectd.load.load.midterm'] !== undefined)).toBe(true);
    expect(all.length).toBeGreaterThan(0);
  });

  it('sends impossible and unparseable records to the dead-letter topic with the reason', async () => {
    const now = Date.now();
    kcatProduceOne(raw, JSON.stringify({ host: `bad-${id}`, timestamp: now, metrics: { 'cpu.utilization': -0.5 } }));
    kcatProduceOne(
      raw,
      JSON.stringify({ host: `bad-${id}`, timestamp: now + 6 * 3_600_000, metrics: { 'cpu.utilization': 0.5 } }),
    );
    kcatProduceOne(
      raw,
      `[{"values":[null],"dstypes":["gauge"],"dsnames":["value"],"time":${now / 1000},"interval":10,"host":"bad-${id}","plugin":"cpu","plugin_instance":"","type":"percent","type_instance":"active"}]`,
    );
    kcatProduceOne(raw, 'cpu,host=bad usage_idle=not-a-number');
    kcatProduceOne(raw, '{"host": "bad", "timestamp": ');
    const dlq = await consumeUntil(`${raw}.dlq`, (m) => m.length >= 5, 90_000);
    const reasons = dlq.map((m) => m.message.headers?.['x-dlq-error']?.toString() ?? '');
    expect(reasons.some((r) => /negative utilisation/.test(r))).toBe(true);
    expect(reasons.some((r) => /in the future/.test(r))).toBe(true);
    expect(reasons.some((r) => /not a finite number/.test(r))).toBe(true);
    expect(reasons.some((r) => /bad field value/.test(r))).toBe(true);
    expect(reasons.some((r) => /malformed JSON/.test(r))).toBe(true);
    expect(dlq.every((m) => m.message.headers?.['x-dlq-source-topic']?.toString() === raw)).toBe(true);
    const after = await decode(await consumeUntil(samples, () => false, 6_000));
    expect(after.some((s) => s.host.startsWith('bad'))).toBe(false);
  });
});
