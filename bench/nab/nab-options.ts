/**
 * Option overrides for NAB runs: a JSON object deep-merged into the scorer's options, refusing any
 * field the options do not have or a value of another type (a typo must not silently tune nothing).
 */
import { ConfigError } from '../../streams/runtime/errors.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `base` with `overrides` merged in, field by field; throws a ConfigError naming a bad field. */
export function withOverrides<T extends object>(base: T, overrides: unknown, path = 'options'): T {
  if (!isRecord(overrides)) throw new ConfigError(`${path}: overrides must be a JSON object`, { overrides });
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) {
    const field = `${path}.${key}`;
    if (!(key in out)) throw new ConfigError(`${field}: no such option`, { field });
    const current = out[key];
    if (isRecord(current)) out[key] = withOverrides(current, value, field);
    else if (typeof value !== typeof current) {
      throw new ConfigError(`${field}: expected a ${typeof current}, got ${JSON.stringify(value)}`, { field });
    } else out[key] = value;
  }
  return out as T;
}
