/**
 * The commit state machine of one store (after Quix Streams' store transaction): every operation
 * is checked against the phase the store is in, and misuse throws a named error with context
 * instead of quietly corrupting state.
 *
 *   clean ──write──▶ dirty ──prepare──▶ prepared ──apply──▶ committing ──applied──▶ clean
 *     │                │                   │                    └──apply-failed──▶ failed
 *     └──prepare──▶ prepared          abort: clean, dirty, prepared ▶ clean
 *   close: any ▶ closed                abort: failed ▶ failed (only close and a restore after reopening repair it)
 *
 * `clean`: nothing uncommitted (just opened, committed, or rewound). `prepared`: the changelog
 * records are built and on their way to Kafka; no reads or writes until the commit is applied or
 * aborted (the task does not process while it commits). `failed`: the commit went through on
 * Kafka but the byte store did not take it, so the store is behind its changelog until it is
 * reopened and restored. Reads are allowed in `clean` and `dirty`; a restore only in `clean`.
 */
import { StoreClosedError, StoreStateError } from './errors.js';

export const STORE_PHASES = ['clean', 'dirty', 'prepared', 'committing', 'failed', 'closed'] as const;
export type StorePhase = (typeof STORE_PHASES)[number];

export const STORE_OPERATIONS = [
  'read',
  'write',
  'prepare',
  'apply',
  'applied',
  'apply-failed',
  'abort',
  'restore',
  'close',
] as const;
export type StoreOperation = (typeof STORE_OPERATIONS)[number];

const ANY_OPEN = {
  clean: 'closed',
  dirty: 'closed',
  prepared: 'closed',
  committing: 'closed',
  failed: 'closed',
} as const;

/** For each operation, the phases that allow it and the phase it leads to. */
export const STORE_TRANSITIONS: Readonly<Record<StoreOperation, Readonly<Partial<Record<StorePhase, StorePhase>>>>> = {
  read: { clean: 'clean', dirty: 'dirty' },
  write: { clean: 'dirty', dirty: 'dirty' },
  prepare: { clean: 'prepared', dirty: 'prepared' },
  apply: { prepared: 'committing' },
  applied: { committing: 'clean' },
  'apply-failed': { committing: 'failed' },
  abort: { clean: 'clean', dirty: 'clean', prepared: 'clean', failed: 'failed' },
  restore: { clean: 'clean' },
  close: { ...ANY_OPEN, closed: 'closed' },
};

export class StoreCommitState {
  private current: StorePhase = 'clean';

  constructor(readonly store: string) {}

  get phase(): StorePhase {
    return this.current;
  }

  /** Throws unless `operation` is allowed now (without moving: for steps that may still fail). */
  check(operation: StoreOperation): StorePhase {
    const next = STORE_TRANSITIONS[operation][this.current];
    if (next !== undefined) return next;
    if (this.current === 'closed') throw new StoreClosedError(this.store, operation);
    const allowed = STORE_PHASES.filter((p) => STORE_TRANSITIONS[operation][p] !== undefined);
    throw new StoreStateError(this.store, operation, this.current, allowed);
  }

  /** Checks `operation` and moves to the phase it leads to. */
  enter(operation: StoreOperation): void {
    this.current = this.check(operation);
  }
}
