/**
 * The producer-side part of patches/kafkajs+2.2.4.patch: record batches are checksummed with the
 * hardware CRC32C of @node-rs/crc32 (kafkajs' table loop was ~3% of the pipeline's CPU) and
 * encoders allocate without zero-filling, records pre-sized, batches grown once (the doubling and
 * copying of every changelog record was another ~5%); varints are written straight into the buffer
 * and small varlongs take the varint path; a produce request finds its batch's first and max
 * timestamps in one pass instead of sorting them (as strings). These tests fail if the patch is
 * missing or an encoding differs from what kafkajs decodes and the broker checks.
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

interface FullEncoder {
  buffer: Buffer;
  writeVarInt(v: number): FullEncoder;
  writeVarLong(v: number | string): FullEncoder;
}
const Encoder = require('kafkajs/src/protocol/encoder.js') as {
  new (): FullEncoder;
  sizeOfVarLong(v: number | string): number;
  sizeOfVarInt(v: number): number;
};
const Long = require('kafkajs/src/utils/long.js') as {
  fromValue(v: number | string): { toString(): string };
};
interface FullDecoder {
  readVarLong(): { toString(): string };
  readVarInt(): number;
  readString(): string | null;
  readInt16(): number;
  readInt32(): number;
  readBytes(n: number): Buffer;
}
const FullDecoderCtor = Decoder as unknown as new (b: Buffer) => FullDecoder;
const produceV3 = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (r: {
  acks: number;
  timeout: number;
  topicData: {
    topic: string;
    partitions: { partition: number; messages: { key: string; value: string; timestamp?: string }[] }[];
  }[];
}) => { encode(): Promise<{ buffer: Buffer }> };

/** Zig-zag LEB128 of a 64-bit value, computed with BigInt: the reference the patched paths must match. */
function referenceVarLong(v: bigint): Buffer {
  let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}

describe('kafkajs varints and produce timestamps (patched)', () => {
  const values = [
    0,
    1,
    -1,
    63,
    64,
    -64,
    -65,
    127,
    128,
    300,
    -300,
    2 ** 20,
    2 ** 30 - 1,
    -(2 ** 30),
    2 ** 30,
    -(2 ** 30) - 1,
  ];
  const longs = [...values, 2 ** 31, -(2 ** 31), 1_796_106_221_696, -1_796_106_221_696, Number.MAX_SAFE_INTEGER];

  it('writes varints and varlongs byte for byte as the reference, sizes them alike, and reads them back', () => {
    for (const v of values) {
      const bytes = new Encoder().writeVarInt(v).buffer;
      expect(bytes).toEqual(referenceVarLong(BigInt(v)));
      expect(new FullDecoderCtor(bytes).readVarInt()).toBe(v);
    }
    for (const v of longs) {
      const bytes = new Encoder().writeVarLong(v).buffer;
      expect(bytes).toEqual(referenceVarLong(BigInt(v)));
      expect(Encoder.sizeOfVarLong(v)).toBe(bytes.length);
      expect(new FullDecoderCtor(bytes).readVarLong().toString()).toBe(Long.fromValue(v).toString());
    }
  });

  it('gives a batch its numeric first and max timestamps whatever their order and digit count', async () => {
    const timestamps = ['999', '1000', '5', '1796106221696', '42'];
    const request = produceV3({
      acks: -1,
      timeout: 1000,
      topicData: [
        {
          topic: 't',
          partitions: [
            { partition: 0, messages: timestamps.map((timestamp, i) => ({ key: `k${i}`, value: `v${i}`, timestamp })) },
          ],
        },
      ],
    });
    const d = new FullDecoderCtor((await request.encode()).buffer);
    expect(d.readString()).toBeNull(); // transactional id
    expect(d.readInt16()).toBe(-1);
    expect(d.readInt32()).toBe(1000);
    expect(d.readInt32()).toBe(1); // topics
    expect(d.readString()).toBe('t');
    expect(d.readInt32()).toBe(1); // partitions
    expect(d.readInt32()).toBe(0);
    const batch = (await decodeBatch(new Decoder(d.readBytes(d.readInt32())))) as unknown as {
      firstTimestamp: string;
      maxTimestamp: string;
      records: { timestamp: string; key: Buffer }[];
    };
    expect(batch.firstTimestamp).toBe('5');
    expect(batch.maxTimestamp).toBe('1796106221696');
    expect(batch.records.map((r) => r.timestamp)).toEqual(timestamps);
  });
});
