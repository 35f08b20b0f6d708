/**
 * The API's errors: every failure is answered as JSON `{ error: code, message, issues? }` with its
 * status, and request parts are validated by their zod schemas into a 400 naming every field.
 */
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { ErrorResponse } from './schemas.js';

/** An error answered as `{ error: code, message, issues? }` with its status (extensions throw it too). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: ErrorResponse['issues'],
  ) {
    super(message);
  }
}

/** Validates a request part; a failure is a 400 naming every field (extensions use it too). */
export function parse<S extends z.ZodType>(schema: S, input: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  throw new HttpError(
    400,
    'VALIDATION_FAILED',
    `invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  );
}

export function sendError(reply: FastifyReply, err: HttpError): FastifyReply {
  const body: ErrorResponse = { error: err.code, message: err.message };
  if (err.issues) body.issues = err.issues;
  return reply.code(err.status).type('application/json').send(body);
}
