/**
 * An immutable record flowing through a topology. Changing a field makes a new record, so a
 * processor can never mutate what another processor (or the store cache) still holds.
 */
export type Headers = Readonly<Record<string, string>>;

export class StreamRecord<K, V> {
  constructor(
    readonly key: K,
    readonly value: V,
    /** Event time in epoch milliseconds. */
    readonly timestamp: number,
    readonly headers: Headers = {},
  ) {}

  withKey<K2>(key: K2): StreamRecord<K2, V> {
    return new StreamRecord(key, this.value, this.timestamp, this.headers);
  }

  withValue<V2>(value: V2): StreamRecord<K, V2> {
    return new StreamRecord(this.key, value, this.timestamp, this.headers);
  }

  withTimestamp(timestamp: number): StreamRecord<K, V> {
    return new StreamRecord(this.key, this.value, timestamp, this.headers);
  }

  withHeaders(headers: Headers): StreamRecord<K, V> {
    return new StreamRecord(this.key, this.value, this.timestamp, headers);
  }
}
