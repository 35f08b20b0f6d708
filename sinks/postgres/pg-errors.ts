/**
 * PostgreSQL failures sorted into transient and permanent by SQLSTATE class, so the command
 * consumer retries what a retry can fix (the server unreachable, starting up, shutting down, a
 * serialisation conflict) and fails the rest at once with the server's reason (a missing
 * privilege, a bad password, an unknown database).
 */
import { permanentError, transientError } from '../framework/errors.js';

/** SQLSTATE classes no retry will change: auth (28), syntax and privileges (42), catalog (3D, 3F). */
const PERMANENT_CLASSES = new Set(['28', '42', '3D', '3F', '22', '23', '0A']);

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True when the error is PostgreSQL's "relation does not exist" (a fence table not created yet). */
export function isUndefinedTable(err: unknown): boolean {
  return sqlState(err) === '42P01';
}

/** Wraps any error from a PostgreSQL call into the actuator's error family. */
export function pgError(what: string, err: unknown, context: Record<string, unknown> = {}): Error {
  const state = sqlState(err);
  const message = err instanceof Error ? err.message : String(err);
  const reason = `${what}: ${message}${state ? ` (SQLSTATE ${state})` : ''}`;
  if (state && PERMANENT_CLASSES.has(state.slice(0, 2)))
    return permanentError(reason, { ...context, sqlState: state }, err);
  return transientError(reason, { ...context, ...(state ? { sqlState: state } : {}) }, err);
}
