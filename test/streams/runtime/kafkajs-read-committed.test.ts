/**
 * kafkajs 2.2.4 filters aborted transactions with `if` where it needs `while`: a fetch that starts
 * inside two overlapping aborted transactions of different producers hands out records of one of
 * them to read_committed consumers (found by the split-brain test, confirmed against kcat). The
 * project patches it (patches/kafkajs+2.2.4.patch, applied by `npm ci` through patch-package); this
 * test fails if the patch is missing.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

type Message = { offset: string; key: Buffer | null; batchContext: { producerId: string; inTransaction: boolean } };
type Filter = (args: {
  messages: Message[];
  abortedTransactions: { firstOffset: string; producerId: string }[];
}) => Message[];

const filterAborted = createRequire(import.meta.url)('kafkajs/src/consumer/filterAbortedMessages.js') as Filter;

const data = (offset: number, producerId: string, inTransaction = true): Message => ({
  offset: String(offset),
  key: Buffer.from(`k${offset}`),
  batchContext: { producerId, inTransaction },
});
const abortMarker = (offset: number, producerId: string): Message => ({
  offset: String(offset),
  key: Buffer.from([0, 0, 0, 0]),
  batchContext: { producerId, inTransaction: true },
});

describe('read_committed filtering of aborted transactions (patched kafkajs)', () => {
  it('drops the records of every aborted transaction a fetch starts inside', () => {
    // p1 aborts 0..2, p2 aborts 1..3 (interleaved); p3 commits at 6. The fetch starts at 3.
    const messages = [data(3, 'p2'), abortMarker(4, 'p1'), abortMarker(5, 'p2'), data(6, 'p3', false)];
    const kept = filterAborted({
      messages,
      abortedTransactions: [
        { firstOffset: '0', producerId: 'p1' },
        { firstOffset: '1', producerId: 'p2' },
      ],
    });
    expect(kept.filter((m) => !m.key?.equals(Buffer.from([0, 0, 0, 0]))).map((m) => m.offset)).toEqual(['6']);
  });

  it('keeps committed records of other producers between aborted ones', () => {
    const messages = [data(0, 'p1'), data(1, 'p9', false), abortMarker(2, 'p1'), data(3, 'p9', false)];
    const kept = filterAborted({ messages, abortedTransactions: [{ firstOffset: '0', producerId: 'p1' }] });
    expect(kept.map((m) => m.offset)).toEqual(['1', '2', '3']);
  });
});
