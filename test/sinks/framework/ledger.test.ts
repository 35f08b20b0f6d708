import { describe, expect, it } from 'vitest';
import { decide, LEDGER_HISTORY, type LedgerStatus, record } from '../../../sinks/framework/ledger.js';
import { backoffDelay, retryPolicySchema } from '../../../sinks/framework/retry.js';

const cmd = (id: string, epoch: number, status: LedgerStatus = 'SUCCEEDED') => ({
  id,
  epoch,
  status,
  address: '',
  detail: '',
  at: 0,
});

describe('ledger decisions', () => {
  it('applies the first command of a resource', () => {
    expect(decide(undefined, 'a', 1)).toEqual({ kind: 'apply' });
  });

  it('answers a known command id as duplicate, even when its epoch is now stale', () => {
    const e = record(record(undefined, cmd('a', 1)), cmd('b', 5));
    expect(decide(e, 'a', 1)).toMatchObject({ kind: 'duplicate', prior: { id: 'a' } });
  });

  it('refuses an epoch older than the last applied, accepts equal and newer', () => {
    const e = record(undefined, cmd('a', 5));
    expect(decide(e, 'x', 4)).toEqual({ kind: 'stale', lastEpoch: 5 });
    expect(decide(e, 'y', 5)).toEqual({ kind: 'apply' });
    expect(decide(e, 'z', 6)).toEqual({ kind: 'apply' });
  });

  it('does not advance the fence on failed or refused commands', () => {
    const e = record(record(undefined, cmd('a', 2)), cmd('b', 9, 'FAILED'));
    expect(e.lastEpoch).toBe(2);
    expect(decide(e, 'c', 3)).toEqual({ kind: 'apply' });
  });

  it('resumes a command that started but recorded no outcome (a crash after or before acting)', () => {
    const e = record(record(undefined, cmd('a', 4)), cmd('b', 5, 'STARTED'));
    expect(decide(e, 'b', 5)).toMatchObject({ kind: 'resume', prior: { id: 'b', status: 'STARTED' } });
    // Even when a later epoch was applied meanwhile: it was admitted when it arrived.
    const later = record(e, cmd('c', 9));
    expect(decide(later, 'b', 5)).toMatchObject({ kind: 'resume' });
  });

  it('an intent does not advance the fence; its outcome replaces it', () => {
    const started = record(record(undefined, cmd('a', 2)), cmd('b', 7, 'STARTED'));
    expect(started.lastEpoch).toBe(2);
    const done = record(started, cmd('b', 7));
    expect(done.lastEpoch).toBe(7);
    expect(done.commands.filter((c) => c.id === 'b')).toEqual([expect.objectContaining({ status: 'SUCCEEDED' })]);
    expect(decide(done, 'b', 7)).toMatchObject({ kind: 'duplicate' });
  });

  it('bounds the remembered history', () => {
    let e = record(undefined, cmd('c0', 1));
    for (let i = 1; i < LEDGER_HISTORY + 50; i++) e = record(e, cmd(`c${i}`, 1));
    expect(e.commands).toHaveLength(LEDGER_HISTORY);
    expect(e.commands.at(-1)?.id).toBe(`c${LEDGER_HISTORY + 49}`);
  });
});

describe('backoff', () => {
  it('grows exponentially up to the cap, jitter only shortens', () => {
    const p = retryPolicySchema.parse({ initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2, jitter: 0 });
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(p, a))).toEqual([100, 200, 400, 800, 1000]);
    const j = retryPolicySchema.parse({ initialDelayMs: 100, jitter: 1 });
    expect(backoffDelay(j, 1, () => 0.25)).toBe(75);
  });
});
