/**
 * Request and response shapes of the HTTP API, as zod schemas: they validate requests and, through
 * `z.toJSONSchema`, become the OpenAPI document, so the two cannot drift apart.
 */
import { z } from 'zod';

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
  type: z.enum(['CREATE_SHADOW', 'PROMOTE_SHADOW', 'RETIRE_SHADOW', 'REGION_FAILOVER']),
  subject: z.string(),
});

export const errorResponse = z.object({
  error: z.string().describe('stable code, e.g. VALIDATION_FAILED, UNAUTHORIZED, FORBIDDEN, NOT_FOUND'),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export type ErrorResponse = z.infer<typeof errorResponse>;
