/**
 * The producer-side part of patches/kafkajs+2.2.4.patch: record batches are checksummed with the
 * hardware CRC32C of @node-rs/crc32 (kafkajs' table loop was ~3% of the pipeline's CPU) and
 * encoders allocate without zero-filling, records pre-sized, batches grown once (the doubling and
 * copying of every changelog record was another ~5%). These tests fail if the patch is missing or
 * an encoding differs from what kafkajs decodes and the broker checks.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

type Crc = (b: Buffer) => number;
const patchedCrc = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as Crc;
const tableCrc = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as Crc;
const patchedSource = require('node:fs').readFileSync(
  require.resolve('kafkajs/src/protocol/recordBatch/crc32C/index.js'),
  'utf8',
) as string;

interface EncoderLike {
  buffer: Buffer;
}
type RecordFn = (r: {
  offsetDelta: number;
  key: Buffer;
  value: Buffer;
  headers?: Record<string, string>;
}) => EncoderLike;
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as RecordFn;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (b: { records: EncoderLike[]; lastOffsetDelta: number }) => Promise<EncoderLike>;
};
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => unknown;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: unknown) => Promise<{
  records: { key: Buffer; value: Buffer; headers: Record<string, Buffer> }[];
}>;

/** Deterministic bytes: a failure names the same input every run. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    b[i] = s & 0xff;
  }
  return b;
}

describe('kafkajs producer encoding (patched)', () => {
  it('uses the native CRC32C, which agrees with the table implementation', () => {
    expect(patchedSource).toContain('@node-rs/crc32');
    expect(patchedCrc(Buffer.from('123456789'))).toBe(0xe3069283); // the CRC-32C check value
    for (const [n, seed] of [
      [0, 1],
      [1, 2],
      [7, 3],
      [4_096, 4],
      [100_003, 5],
    ] as const) {
      const b = bytes(n, seed);
      expect(patchedCrc(b)).toBe(tableCrc(b));
    }
  });

  it('encodes batches of small and large records that decode back byte for byte, with a valid CRC', async () => {
    const inputs = [3, 600, 70_000, 0, 5_000, 1_048_000].map((n, i) => ({
      key: bytes(10 + i, 100 + i),
      value: bytes(n, 200 + i),
      headers: { 'x-n': String(n) },
    }));
    const batch = await RecordBatch({
      records: inputs.map((r, i) => Record({ offsetDelta: i, ...r })),
      lastOffsetDelta: inputs.length - 1,
    });
    const buf = batch.buffer;
    // firstOffset (8) + length (4) + partitionLeaderEpoch (4) + magic (1), then the CRC of the rest.
    const crcAt = 8 + 4 + 4 + 1;
    expect(buf.readUInt32BE(crcAt)).toBe(tableCrc(buf.subarray(crcAt + 4)));
    const decoded = await decodeBatch(new Decoder(buf));
    expect(decoded.records).toHaveLength(inputs.length);
    decoded.records.forEach((r, i) => {
      expect(r.key.equals(inputs[i]!.key)).toBe(true);
      expect(r.value.equals(inputs[i]!.value)).toBe(true);
      expect(r.headers['x-n']?.toString()).toBe(inputs[i]!.headers['x-n']);
    });
  });
});
