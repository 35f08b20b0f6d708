/**
 * One error family for the whole project. Every error carries a stable `code`, the `context`
 * needed to act on it, and a classification the runtime's policies read (retry, fail, dead-letter).
 */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'DESERIALIZATION_FAILED',
  'SERIALIZATION_FAILED',
  'VALIDATION_FAILED',
  'PROCESSING_FAILED',
  'STORE_FAILED',
  'STORE_CLOSED',
  'TRANSACTION_FAILED',
  'FENCED',
  'STALE_EPOCH',
  'NOT_CONNECTED',
  'TIMEOUT',
  'ACTUATION_FAILED',
  'REGISTRY_FAILED',
  'STACK_FAILED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorOptions {
  cause?: unknown;
  /** A retry may succeed (broker hiccup, timeout); a permanent error never will. */
  retriable?: boolean;
  context?: Record<string, unknown>;
}

export class ForeshadowError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ForeshadowError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }
}

export class ConfigError extends ForeshadowError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('CONFIG_INVALID', message, { context });
    this.name = 'ConfigError';
  }
}

/** Renders any thrown value as a one-line reason, for logs and dead-letter headers. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
