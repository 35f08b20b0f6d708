/**
 * The state area's errors: a store used in a phase that does not allow the operation (see
 * `StoreCommitState`), or used after it closed. Both are bugs of the caller, never of the data, so
 * neither is retriable.
 */
import { ForeshadowError } from '../runtime/errors.js';
import type { StoreOperation, StorePhase } from './store-commit-state.js';

/** An operation the store's commit phase does not allow, e.g. a write while a commit is prepared. */
export class StoreStateError extends ForeshadowError {
  constructor(
    readonly store: string,
    readonly operation: StoreOperation,
    readonly phase: StorePhase,
    allowed: readonly StorePhase[],
  ) {
    super('STORE_STATE_INVALID', `store ${store}: ${operation} is not allowed while ${phase}`, {
      context: { store, operation, phase, allowed },
    });
    this.name = 'StoreStateError';
  }
}

/** Any use of a store but `close` after it closed. */
export class StoreClosedError extends ForeshadowError {
  constructor(
    readonly store: string,
    readonly operation: StoreOperation,
  ) {
    super('STORE_CLOSED', `store ${store} is closed`, { context: { store, operation } });
    this.name = 'StoreClosedError';
  }
}
