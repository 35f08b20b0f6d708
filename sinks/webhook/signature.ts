/**
 * Webhook signatures: HMAC-SHA256 over `<timestamp>.<body>`, sent as
 * `X-Foreshadow-Signature: sha256=<hex>` with `X-Foreshadow-Timestamp: <unix ms>`. Signing the
 * timestamp lets receivers reject replays outside a tolerance window. Receivers can import
 * `verifySignature` (it compares in constant time).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-foreshadow-signature';
export const TIMESTAMP_HEADER = 'x-foreshadow-timestamp';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const ATTEMPT_HEADER = 'x-foreshadow-delivery-attempt';

export function signPayload(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface VerifyInput {
  signature: string | undefined;
  timestamp: string | undefined;
  body: string;
  /** Allowed clock difference / replay window. */
  toleranceMs?: number;
  now?: number;
}

export function verifySignature(secret: string, input: VerifyInput): boolean {
  if (!input.signature || !input.timestamp || !/^\d+$/.test(input.timestamp)) return false;
  const ts = Number(input.timestamp);
  if (Math.abs((input.now ?? Date.now()) - ts) > (input.toleranceMs ?? 5 * 60_000)) return false;
  const expected = Buffer.from(signPayload(secret, ts, input.body));
  const given = Buffer.from(input.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
