import { describe, expect, it } from 'vitest';
import { jsonSerde, stringSerde } from '../../../streams/runtime/serdes.js';
import { keyValueStoreSpec, windowStoreSpec } from '../../../streams/runtime/topology.js';
import { type BytesBatch, MemoryBytesStore } from '../../../streams/state/bytes-store.js';
import { StoreClosedError, StoreStateError } from '../../../streams/state/errors.js';
import { CachedKeyValueStore } from '../../../streams/state/key-value-store.js';
import {
  STORE_OPERATIONS,
  STORE_PHASES,
  StoreCommitState,
  type StoreOperation,
  type StorePhase,
} from '../../../streams/state/store-commit-state.js';
import { CachedWindowStore } from '../../../streams/state/window-store.js';

/** The operations that lead from a new (clean) state to each phase. */
const PATH: Record<StorePhase, StoreOperation[]> = {
  clean: [],
  dirty: ['write'],
  prepared: ['write', 'prepare'],
  committing: ['write', 'prepare', 'apply'],
  failed: ['write', 'prepare', 'apply', 'apply-failed'],
  closed: ['close'],
};

/** Every allowed transition, written out: anything not listed must be refused. */
const ALLOWED: Record<StorePhase, Partial<Record<StoreOperation, StorePhase>>> = {
  clean: { read: 'clean', write: 'dirty', prepare: 'prepared', abort: 'clean', restore: 'clean', close: 'closed' },
  dirty: { read: 'dirty', write: 'dirty', prepare: 'prepared', abort: 'clean', close: 'closed' },
  prepared: { apply: 'committing', abort: 'clean', close: 'closed' },
  committing: { applied: 'clean', 'apply-failed': 'failed', close: 'closed' },
  failed: { abort: 'failed', close: 'closed' },
  closed: { close: 'closed' },
};

function stateIn(phase: StorePhase): StoreCommitState {
  const s = new StoreCommitState('s');
  for (const op of PATH[phase]) s.enter(op);
  expect(s.phase).toBe(phase);
  return s;
}

describe('store commit state machine', () => {
  for (const phase of STORE_PHASES) {
    for (const op of STORE_OPERATIONS) {
      const next = ALLOWED[phase][op];
      if (next !== undefined) {
        it(`${phase} --${op}--> ${next}`, () => {
          const s = stateIn(phase);
          s.enter(op);
          expect(s.phase).toBe(next);
        });
      } else {
        it(`refuses ${op} while ${phase}, naming the store, the operation and the phase`, () => {
          const s = stateIn(phase);
          let caught: unknown;
          try {
            s.enter(op);
          } catch (err: unknown) {
            caught = err;
          }
          if (phase === 'closed') {
            expect(caught).toBeInstanceOf(StoreClosedError);
            expect((caught as StoreClosedError).code).toBe('STORE_CLOSED');
            expect((caught as StoreClosedError).context).toEqual({ store: 's', operation: op });
          } else {
            expect(caught).toBeInstanceOf(StoreStateError);
            const e = caught as StoreStateError;
            expect(e.code).toBe('STORE_STATE_INVALID');
            expect(e.retriable).toBe(false);
            expect(e.message).toBe(`store s: ${op} is not allowed while ${phase}`);
            expect(e.context).toMatchObject({ store: 's', operation: op, phase });
            expect((e.context.allowed as string[]).sort()).toEqual(
              STORE_PHASES.filter((p) => ALLOWED[p][op] !== undefined).sort(),
            );
          }
          // A refused operation leaves the phase as it was.
          expect(s.phase).toBe(phase);
        });
      }
    }
  }

  it('check() tests an operation without moving', () => {
    const s = stateIn('dirty');
    expect(s.check('prepare')).toBe('prepared');
    expect(s.phase).toBe('dirty');
  });
});

describe('stores follow the commit state machine', () => {
  const kv = (bytes = new MemoryBytesStore()): CachedKeyValueStore<string, number> =>
    new CachedKeyValueStore(keyValueStoreSpec('kv', { keySerde: stringSerde, valueSerde: jsonSerde<number>() }), bytes);

  it('walks clean → dirty → prepared → clean through a commit, and back to clean on abort', async () => {
    const s = kv();
    expect(s.phase).toBe('clean');
    s.put('a', 1);
    expect(s.phase).toBe('dirty');
    await s.prepareCommit();
    expect(s.phase).toBe('prepared');
    await s.applyCommit();
    expect(s.phase).toBe('clean');
    s.put('a', 2);
    await s.prepareCommit();
    s.abort();
    expect(s.phase).toBe('clean');
    expect(await s.get('a')).toBe(1);
  });

  it('refuses writes and reads while a commit is prepared, and an apply nothing prepared', async () => {
    const s = kv();
    await expect(s.applyCommit()).rejects.toThrow(StoreStateError);
    s.put('a', 1);
    await s.prepareCommit();
    expect(() => s.put('a', 2)).toThrow('store kv: write is not allowed while prepared');
    expect(() => s.delete('a')).toThrow(StoreStateError);
    await expect(s.get('a')).rejects.toThrow('store kv: read is not allowed while prepared');
    await expect(s.prepareCommit()).rejects.toThrow('store kv: prepare is not allowed while prepared');
    await expect(s.restore([])).rejects.toThrow(StoreStateError);
    await s.applyCommit();
    expect(await s.get('a')).toBe(1);
  });

  it('refuses a restore over uncommitted writes', async () => {
    const s = kv();
    s.put('a', 1);
    await expect(s.restore([{ key: Buffer.from('a'), value: Buffer.from('2') }])).rejects.toThrow(
      'store kv: restore is not allowed while dirty',
    );
  });

  it('is failed, and stays failed until closed, when the byte store refuses the commit', async () => {
    class RefusingStore extends MemoryBytesStore {
      override async write(_batch: BytesBatch): Promise<void> {
        throw new Error('disk full');
      }
    }
    const s = kv(new RefusingStore());
    s.put('a', 1);
    await s.prepareCommit();
    await expect(s.applyCommit()).rejects.toThrow('disk full');
    expect(s.phase).toBe('failed');
    s.abort();
    expect(s.phase).toBe('failed');
    await expect(s.get('a')).rejects.toThrow('store kv: read is not allowed while failed');
    await s.close();
    expect(s.phase).toBe('closed');
  });

  it('keeps the last phase when serialising fails, so the commit can be aborted', async () => {
    const s = new CachedKeyValueStore(
      keyValueStoreSpec<string, number>('kv', {
        keySerde: stringSerde,
        valueSerde: {
          serialize: () => {
            throw new Error('cannot encode');
          },
          deserialize: () => 0,
        },
      }),
      new MemoryBytesStore(),
    );
    s.put('a', 1);
    await expect(s.prepareCommit()).rejects.toThrow('cannot encode');
    expect(s.phase).toBe('dirty');
    s.abort();
    expect(s.phase).toBe('clean');
  });

  it('refuses everything but close once closed (window stores too)', async () => {
    const w = new CachedWindowStore(
      windowStoreSpec('w', {
        keySerde: stringSerde,
        valueSerde: jsonSerde<number>(),
        windowSizeMs: 10,
        retentionMs: 10,
      }),
      new MemoryBytesStore(),
    );
    w.put('a', 0, 1);
    await w.close();
    await w.close();
    expect(() => w.put('a', 0, 2)).toThrow(StoreClosedError);
    await expect(w.fetch('a', 0)).rejects.toThrow('store w is closed');
    expect(() => w.fetchAll(0, 10)).toThrow(StoreClosedError);
    expect(() => w.abort()).toThrow(StoreClosedError);
  });
});
