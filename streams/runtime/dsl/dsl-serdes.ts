/**
 * Serdes of the DSL's own data: windowed keys (the results of windowed aggregations) and lists of
 * values (the raw values a sliding aggregation keeps per key and time).
 */
import type { WindowedKey } from '../../state/store.js';
import type { Serde } from '../serdes.js';

const SIGN = 2n ** 63n;

/** Windowed keys on the wire: the inner key bytes, then window start and end (8 bytes each). */
export function windowedSerde<K>(inner: Serde<K>): Serde<WindowedKey<K>> {
  return {
    async serialize(topic, w) {
      const k = await inner.serialize(topic, w.key);
      const b = Buffer.allocUnsafe(k.length + 16);
      k.copy(b, 0);
      b.writeBigUInt64BE(BigInt(w.start) + SIGN, k.length);
      b.writeBigUInt64BE(BigInt(w.end) + SIGN, k.length + 8);
      return b;
    },
    async deserialize(topic, data) {
      if (data.length < 16) throw new Error(`windowed key too short: ${data.length} bytes`);
      const n = data.length - 16;
      return {
        key: await inner.deserialize(topic, data.subarray(0, n)),
        start: Number(data.readBigUInt64BE(n) - SIGN),
        end: Number(data.readBigUInt64BE(n + 8) - SIGN),
      };
    },
  };
}

/** A list of values: length-prefixed inner encodings (inner serdes may be binary, e.g. Avro). */
export function listSerde<V>(inner: Serde<V>): Serde<V[]> {
  return {
    async serialize(topic, values) {
      const parts: Buffer[] = [];
      for (const v of values) {
        const b = await inner.serialize(topic, v);
        const len = Buffer.allocUnsafe(4);
        len.writeUInt32BE(b.length);
        parts.push(len, b);
      }
      return Buffer.concat(parts);
    },
    async deserialize(topic, data) {
      const out: V[] = [];
      let i = 0;
      while (i < data.length) {
        const n = data.readUInt32BE(i);
        out.push(await inner.deserialize(topic, data.subarray(i + 4, i + 4 + n)));
        i += 4 + n;
      }
      return out;
    },
  };
}
