/**
 * Options of a processor, validated where it is built: a wrong value fails at start-up with a
 * ConfigError naming every offending field, not later as a crash in the middle of processing.
 */
import type { ZodType, z } from 'zod';
import { ConfigError } from '../runtime/errors.js';

export function parseOptions<S extends ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new ConfigError(`invalid ${what} options: ${problems.join('; ')}`, { problems });
  }
  return parsed.data;
}
