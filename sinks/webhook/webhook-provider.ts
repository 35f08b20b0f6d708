/**
 * Webhook actuator: hands each command to the user's own automation as a signed HTTP POST.
 *
 * Body: `{"source":"shadow"|"failover","command":{...}}` (stable across retries). Headers:
 * `Idempotency-Key: <commandId>` (the same on every retry, so the receiver can de-duplicate),
 * `X-Foreshadow-Timestamp`, `X-Foreshadow-Signature` (see signature.ts), and
 * `X-Foreshadow-Delivery-Attempt`. The consumer's ledger guarantees a command already answered is
 * not sent again; retries within one delivery reuse the key.
 *
 * Reply mapping: 2xx → SUCCEEDED, or the JSON body's `status` (SUCCEEDED / IN_PROGRESS / FAILED)
 * with optional `address`, `detail`, `lagBytes`, `lagMs`, `retriable`; 202 without a body →
 * IN_PROGRESS; 408/409/425/429/5xx and network errors → retried; other 4xx → permanent failure.
 */
import { z } from 'zod';
import { permanentError, transientError } from '../framework/errors.js';
import type {
  ActuationContext,
  ActuatorCommand,
  ActuatorProvider,
  FailoverCommand,
  Outcome,
  ShadowCommand,
} from '../framework/types.js';
import { ATTEMPT_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signPayload, TIMESTAMP_HEADER } from './signature.js';

export const webhookProviderOptionsSchema = z.object({
  name: z.string().default('webhook'),
  url: z.string().url(),
  /** Environment variable with the HMAC secret shared with the receiver. */
  secretEnv: z.string().default('FORESHADOW_WEBHOOK_SECRET'),
  /** Optional environment variable with a bearer token for the receiver. */
  bearerTokenEnv: z.string().optional(),
  /** Shadow command kinds to forward; empty = all. */
  kinds: z.array(z.string()).default([]),
  /** Command types to forward (shadow and failover); empty = all. */
  types: z.array(z.string()).default([]),
  timeoutMs: z.number().int().positive().default(10_000),
});
export type WebhookProviderOptions = z.input<typeof webhookProviderOptionsSchema>;

const replySchema = z.object({
  status: z.enum(['SUCCEEDED', 'IN_PROGRESS', 'FAILED']).optional(),
  address: z.string().optional(),
  detail: z.string().optional(),
  lagBytes: z.number().nullable().optional(),
  lagMs: z.number().nullable().optional(),
  retriable: z.boolean().optional(),
});

const RETRY_STATUSES = new Set([408, 409, 425, 429]);

export class WebhookProvider implements ActuatorProvider {
  readonly name: string;
  private readonly o: z.infer<typeof webhookProviderOptionsSchema>;

  constructor(options: WebhookProviderOptions) {
    this.o = webhookProviderOptionsSchema.parse(options);
    this.name = this.o.name;
  }

  accepts(c: ActuatorCommand): boolean {
    if (this.o.types.length > 0 && !this.o.types.includes(c.command.type)) return false;
    if (c.source === 'shadow' && this.o.kinds.length > 0) return this.o.kinds.includes(c.command.kind);
    return true;
  }

  private async post(c: ActuatorCommand, ctx: ActuationContext): Promise<Outcome> {
    const secret = process.env[this.o.secretEnv];
    if (!secret) throw permanentError(`environment variable ${this.o.secretEnv} (webhook secret) is not set`);
    const body = JSON.stringify({ source: c.source, command: c.command });
    const timestamp = Date.now();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [IDEMPOTENCY_HEADER]: c.command.commandId,
      [TIMESTAMP_HEADER]: String(timestamp),
      [SIGNATURE_HEADER]: signPayload(secret, timestamp, body),
      [ATTEMPT_HEADER]: String(ctx.attempt),
    };
    if (this.o.bearerTokenEnv) {
      const token = process.env[this.o.bearerTokenEnv];
      if (!token) throw permanentError(`environment variable ${this.o.bearerTokenEnv} (webhook token) is not set`);
      headers.authorization = `Bearer ${token}`;
    }
    let res: Response;
    try {
      res = await fetch(this.o.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(this.o.timeoutMs)]),
      });
    } catch (err: unknown) {
      throw transientError(
        `webhook ${new URL(this.o.url).host} unreachable: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const text = await res.text();
    if (res.status >= 500 || RETRY_STATUSES.has(res.status)) {
      throw transientError(`webhook answered ${res.status}`, { status: res.status });
    }
    if (res.status >= 300)
      throw permanentError(`webhook answered ${res.status}: ${text.slice(0, 200)}`, { status: res.status });
    let reply: z.infer<typeof replySchema> = {};
    if (text.trim()) {
      try {
        reply = replySchema.parse(JSON.parse(text));
      } catch {
        reply = { detail: text.slice(0, 200) };
      }
    }
    const status = reply.status ?? (res.status === 202 ? 'IN_PROGRESS' : 'SUCCEEDED');
    if (status === 'FAILED') {
      const msg = `automation reported failure: ${reply.detail ?? 'no detail'}`;
      throw reply.retriable ? transientError(msg) : permanentError(msg);
    }
    return {
      status,
      address: reply.address ?? '',
      detail: reply.detail ?? `webhook ${res.status}`,
      lagBytes: reply.lagBytes ?? null,
      lagMs: reply.lagMs ?? null,
    };
  }

  private shadow = (cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome> =>
    this.post({ source: 'shadow', command: cmd }, ctx);

  createShadow = this.shadow;
  reportSync = this.shadow;
  promote = this.shadow;
  retire = this.shadow;
  redirect = this.shadow;
  fence = this.shadow;
  deployStandard = this.shadow;

  failoverStep(cmd: FailoverCommand, ctx: ActuationContext): Promise<Outcome> {
    return this.post({ source: 'failover', command: cmd }, ctx);
  }
}
