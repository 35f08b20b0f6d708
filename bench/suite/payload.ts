/**
 * The records every stage sends. Peer input values are JSON samples padded to the suite's record
 * size so each engine parses the same bytes; raw-throughput records are opaque bytes of that size.
 */

export interface PeerSample {
  host: string;
  ts: number;
  value: number;
  pad: string;
}

/** Event time of record `i`: increasing over the span, so every partition is in order and none is late. */
export function eventTime(i: number, records: number, spanMs: number, base: number): number {
  return base + Math.floor((i * spanMs) / records);
}

export function peerKey(i: number, keys: number): string {
  return `host-${String(i % keys).padStart(6, '0')}`;
}

/** A deterministic value (the checker does not need it, but equal work for every engine does). */
export function peerValue(i: number): number {
  return ((i * 7919) % 1000) / 10;
}

export function peerSampleBytes(
  i: number,
  records: number,
  keys: number,
  spanMs: number,
  base: number,
  size: number,
): Buffer {
  const sample: PeerSample = {
    host: peerKey(i, keys),
    ts: eventTime(i, records, spanMs, base),
    value: peerValue(i),
    pad: '',
  };
  const bare = JSON.stringify(sample).length;
  sample.pad = 'x'.repeat(Math.max(0, size - bare));
  return Buffer.from(JSON.stringify(sample), 'utf8');
}

export function rawValue(size: number): Buffer {
  return Buffer.alloc(size, 0x61);
}
