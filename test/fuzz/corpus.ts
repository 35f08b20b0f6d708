/**
 * The bad-input corpus for metrics.raw, generated from a seed so a failing run can be replayed:
 * every item carries its kind and what must become of it, and good samples are interleaved so
 * the test can show that data around the bad items still flows.
 */
export type Expected = 'dead-letter' | 'output' | 'broker-refused';

export interface FuzzItem {
  /** Unique id, also sent as the `x-fuzz-id` header (kept on dead letters). */
  id: string;
  kind: string;
  key: string | null;
  value: Buffer;
  expected: Expected;
  /** For items expected on the output: the host the sample must appear under. */
  host?: string;
}

/** Small deterministic PRNG (mulberry32): the corpus is the same for the same seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface CorpusOptions {
  seed: number;
  /** Run-unique prefix for host names. */
  prefix: string;
  now: number;
  /** Items per bad kind. */
  perKind: number;
  /** Brand-new hosts sent at once (cardinality burst). */
  newHosts: number;
  /** Encodes a valid HostSample as Confluent Avro (registry), for the truncated-Avro kind. */
  avro: (sample: Record<string, unknown>) => Promise<Buffer>;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

export async function buildCorpus(o: CorpusOptions): Promise<FuzzItem[]> {
  const rnd = prng(o.seed);
  const items: FuzzItem[] = [];
  let n = 0;
  const add = (kind: string, value: Buffer, expected: Expected, host?: string, key: string | null = host ?? null) =>
    items.push({ id: `${kind}:${n++}`, kind, key, value, expected, host });
  const sample = (host: string, ts: number, metrics: Record<string, unknown>) =>
    json({ host, timestamp: ts, region: 'fz-1', zone: 'fz-1a', metrics });
  const good = (tag: string) => {
    const host = `${o.prefix}-good-${tag}-${n}`;
    add('good', sample(host, o.now - 1_000, { 'cpu.utilization': rnd() }), 'output', host);
  };

  for (let i = 0; i < o.perKind; i++) {
    // Binary noise that is neither UTF-8 nor the Avro magic byte.
    const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 512) }, () => Math.floor(rnd() * 256)));
    bytes[0] = 0xff;
    add('random-bytes', bytes, 'dead-letter');
    good('a');

    const avro = await o.avro({
      host: `${o.prefix}-avro-${i}`,
      region: 'fz-1',
      zone: 'fz-1a',
      timestamp: o.now - 2_000,
      metrics: { 'cpu.utilization': 0.5 },
      tags: {},
      source: 'avro',
    });
    add('truncated-avro', avro.subarray(0, Math.max(6, Math.floor(avro.length / 2))), 'dead-letter');
    // Magic byte 0 and a schema id no registry has.
    const unknown = Buffer.alloc(5 + 16);
    unknown.writeUInt8(0, 0);
    unknown.writeUInt32BE(2_000_000_000 + i, 1);
    add('unknown-schema-id', unknown, 'dead-letter');
    good('b');

    const h = `${o.prefix}-bad-${i}`;
    add('nan', sample(h, o.now, { 'cpu.utilization': 'NaN' }), 'dead-letter');
    add('null-value', sample(h, o.now, { 'cpu.utilization': null }), 'dead-letter');
    add('infinity', sample(h, o.now, { 'mem.utilization': 'Infinity' }), 'dead-letter');
    add('negative', sample(h, o.now, { 'disk.utilization': -0.3 }), 'dead-letter');
    add('negative-counter', json({ host: h, timestamp: o.now, counters: { 'net.rx_bytes_per_s': -5 } }), 'dead-letter');
    // Percent where the canonical unit is a fraction.
    add('unit-mismatch', sample(h, o.now, { 'cpu.utilization': 87.5 }), 'dead-letter');
    add(
      'far-future',
      json({ host: h, timestamp: '2999-01-01T00:00:00Z', metrics: { 'cpu.utilization': 0.1 } }),
      'dead-letter',
    );
    add(
      'far-past',
      json({ host: h, timestamp: '1971-01-01T00:00:00Z', metrics: { 'cpu.utilization': 0.1 } }),
      'dead-letter',
    );
    add('malformed-json', Buffer.from(`{"host": "${h}", "timestamp": ${o.now}, "metrics": {`), 'dead-letter');
    add('no-host', json({ timestamp: o.now, metrics: { 'cpu.utilization': 0.1 } }), 'dead-letter');
    add('empty', Buffer.alloc(0), 'dead-letter');
    add('deeply-nested-json', Buffer.from(`${'['.repeat(20_000)}${']'.repeat(20_000)}`), 'dead-letter');
    add('bad-line-protocol', Buffer.from(`cpu,host=${h} usage_idle=notanumber ${o.now}000000`), 'dead-letter');
    good('c');
  }

  // Duplicates and out-of-order samples are valid data: each must come out exactly as sent (the
  // ingest is per record; ordering and de-duplication belong to the windowed processors).
  for (let i = 0; i < o.perKind; i++) {
    const host = `${o.prefix}-dup-${i}`;
    const v = sample(host, o.now - 5_000, { 'cpu.utilization': 0.25 });
    add('duplicate', v, 'output', host);
    add('duplicate', v, 'output', host);
    const ooo = `${o.prefix}-ooo-${i}`;
    for (const dt of [1_000, 3_000, 2_000])
      add('out-of-order', sample(ooo, o.now - dt, { 'cpu.utilization': 0.2 }), 'output', ooo);
  }

  // A payload ten times the broker's default message limit: refused before it reaches a processor.
  add('10mb-payload', Buffer.alloc(10 * 1024 * 1024, 0x61), 'broker-refused');
  // Under the limit but absurd: 900 kB of one tag and not a single metric.
  add(
    '900kb-json',
    json({ host: `${o.prefix}-big`, timestamp: o.now, metrics: {}, tags: { x: 'y'.repeat(900_000) } }),
    'dead-letter',
  );

  for (let i = 0; i < o.newHosts; i++) {
    const host = `${o.prefix}-new-${i}`;
    add('new-host', sample(host, o.now - 500, { 'cpu.utilization': (i % 100) / 100 }), 'output', host);
  }
  return items;
}
