/**
 * Classifies AWS SDK failures for the actuator's retry policy with the SDK's own classification
 * (@smithy/core/retry, the code the SDK's retry strategy uses): throttling, 5xx, clock skew and
 * network/timeout errors are transient; every other service error (validation, a 4xx, a resource
 * not found) is permanent. Errors that are already classified (ForeshadowError) pass unchanged.
 */
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { ForeshadowError } from '../../streams/runtime/errors.js';
import { permanentError, transientError } from '../framework/errors.js';

type SdkError = Parameters<typeof isThrottlingError>[0];

/** 4xx codes that AWS documents as "try again": the resource is still settling. */
const SETTLING_CODES = new Set([
  'PriorRequestNotComplete', // Route 53: a change on the zone is still being applied
  'IncorrectInstanceState', // EC2: an instance still pending
  'InvalidDBInstanceState', // RDS: an instance still modifying/creating
  'ResourceInUse',
  'ScalingActivityInProgress', // Auto Scaling
  'ResourceContention', // Auto Scaling
]);

interface AwsErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

function shape(err: unknown): AwsErrorShape {
  return typeof err === 'object' && err !== null ? (err as AwsErrorShape) : {};
}

/** The AWS error code (`name` of a service exception), or undefined for a non-AWS error. */
export function awsErrorCode(err: unknown): string | undefined {
  const s = shape(err);
  return s.$metadata !== undefined && typeof s.name === 'string' ? s.name : undefined;
}

/** True when the error is a service answer with this code (e.g. `InvalidPermission.Duplicate`). */
export function isAwsError(err: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && codes.includes(code);
}

export function isRetriableAwsError(err: unknown): boolean {
  const s = shape(err);
  if (s.$metadata === undefined) return true; // no answer at all: network, DNS, timeout
  const sdkError = err as SdkError;
  if (isThrottlingError(sdkError) || isTransientError(sdkError) || isServerError(sdkError)) return true;
  return SETTLING_CODES.has(s.name ?? '');
}

/**
 * Wraps a failed AWS call as the actuator's transient or permanent error, saying what was being
 * done (`what`), the AWS code and HTTP status, and the request id for AWS support.
 */
export function classifyAwsError(err: unknown, what: string, context: Record<string, unknown> = {}): ForeshadowError {
  if (err instanceof ForeshadowError) return err;
  const s = shape(err);
  const code = awsErrorCode(err);
  const status = s.$metadata?.httpStatusCode;
  const reason = code ? `${code}${status ? ` (HTTP ${status})` : ''}: ${s.message ?? ''}` : String(s.message ?? err);
  const ctx = { ...context, awsCode: code, httpStatus: status, requestId: s.$metadata?.requestId };
  const message = `${what}: ${reason}`;
  return isRetriableAwsError(err) ? transientError(message, ctx, err) : permanentError(message, ctx, err);
}

/** Runs one AWS call, classifying its failure. */
export async function aws<T>(what: string, call: () => Promise<T>, context: Record<string, unknown> = {}): Promise<T> {
  try {
    return await call();
  } catch (err: unknown) {
    throw classifyAwsError(err, what, context);
  }
}
