/**
 * Request and response shapes of the HTTP API, as zod schemas: they validate requests and, through
 * `z.toJSONSchema`, become the OpenAPI document, so the two cannot drift apart.
 */
import { z } from 'zod';
import { MAX_MAINTENANCE_WINDOW_MS, OPERATOR_REQUEST_TYPES } from '../schemas/records/operator-request.js';

const id = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:@/-]+$/, 'letters, digits and . _ : @ / - only');

export const createShadowBody = z
  .object({
    resourceId: id.describe('resource to shadow (deployments key)'),
    targetHost: id.optional().describe('preferred host; used when it is eligible'),
  })
  .strict();

export const promoteShadowBody = z
  .object({ resourceId: id.describe('resource whose ready shadow becomes primary') })
  .strict();

export const retireShadowBody = z.object({ resourceId: id }).strict();

export const regionFailoverBody = z
  .object({
    dryRun: z.boolean().describe('true = drill against the simulated provider; false = real failover'),
  })
  .strict();

export const regionParams = z.object({ id }).strict();

const reason = z.string().trim().max(500);

export const pauseBody = z
  .object({ reason: reason.optional().describe('why automation is paused (shown on GET /control)') })
  .strict();

export const resumeBody = z.object({ reason: reason.optional() }).strict();

/** Empty, or absent: approving needs no parameters (the request id comes from Idempotency-Key). */
export const approveBody = z.object({}).strict();

/** A time as ISO 8601 text or epoch milliseconds. */
const instant = z
  .union([z.iso.datetime({ offset: true }), z.number().int().min(0)])
  .transform((t) => (typeof t === 'number' ? t : Date.parse(t)));

export const MAX_WINDOW_MINUTES = MAX_MAINTENANCE_WINDOW_MS / 60_000;

export const maintenanceBody = z
  .object({
    host: id.optional().describe('the host under maintenance (or region)'),
    region: id.optional().describe('the region under maintenance (or host)'),
    start: instant.optional().describe('ISO 8601 or epoch ms; default now'),
    end: instant.optional().describe('ISO 8601 or epoch ms (or durationMinutes)'),
    durationMinutes: z.number().int().min(1).max(MAX_WINDOW_MINUTES).optional().describe('length (or end)'),
    reason: reason.min(1).describe('why: shown with every decision the window suppresses'),
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.host === undefined) === (b.region === undefined))
      ctx.addIssue({ code: 'custom', path: ['host'], message: 'give exactly one of host and region' });
    if ((b.end === undefined) === (b.durationMinutes === undefined))
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'give exactly one of end and durationMinutes' });
  });

export const maintenanceQuery = z.object({ host: id.optional(), region: id.optional() }).strict();

export const windowParams = z.object({ id }).strict();
export const hostParams = z.object({ id }).strict();

const lifecycle = z.enum(['QUEUED', 'REQUESTED', 'PROVISIONING', 'SYNCING', 'READY', 'PROMOTED', 'RETIRED', 'FAILED']);

export const shadowStatusQuery = z
  .object({
    resourceId: id.optional(),
    region: id.optional(),
    host: id.optional(),
    state: lifecycle.optional(),
  })
  .strict();

export const riskQuery = z
  .object({
    region: id.optional(),
    minPFail: z.coerce.number().min(0).max(1).optional(),
  })
  .strict();

export const eventsQuery = z
  .object({
    subject: id.optional(),
    failoverId: z.string().max(300).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export const acceptedResponse = z.object({
  requestId: z.string(),
  status: z.literal('ACCEPTED'),
  type: z.enum(OPERATOR_REQUEST_TYPES),
  subject: z.string(),
});

export const errorResponse = z.object({
  error: z.string().describe('stable code, e.g. VALIDATION_FAILED, UNAUTHORIZED, FORBIDDEN, NOT_FOUND'),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export type ErrorResponse = z.infer<typeof errorResponse>;
