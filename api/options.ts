/**
 * API settings from the environment, validated at start-up. Tokens are given hashed only:
 * API_TOKENS="alice:operate:<sha256 hex>,grafana:read:<sha256 hex>" (`foreshadow api hash-token`
 * prints the hash of a token).
 */
import { z } from 'zod';
import { ConfigError } from '../streams/runtime/errors.js';
import { type ApiToken, parseTokens } from './auth.js';

const envSchema = z.object({
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(0).max(65_535).default(8088),
  API_TOKENS: z.string().min(1, 'API_TOKENS must list at least one principal:role:sha256 entry'),
  API_RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(300),
  API_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0.01).default(50),
  API_BODY_LIMIT_BYTES: z.coerce.number().int().min(256).max(10_485_760).default(16_384),
  /** 'avro' through the registry (default) or 'json'. */
  API_FORMAT: z.enum(['avro', 'json']).default('avro'),
});

export interface ApiSettings {
  host: string;
  port: number;
  tokens: ApiToken[];
  bodyLimit: number;
  format: 'avro' | 'json';
  rateLimit: { burst: number; perSecond: number };
}

export function loadApiSettings(env: NodeJS.ProcessEnv = process.env): ApiSettings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid API environment: ${problems.join('; ')}`, { problems });
  }
  const e = parsed.data;
  const tokens = parseTokens(e.API_TOKENS);
  if (tokens.length === 0) throw new ConfigError('API_TOKENS has no entries');
  return {
    host: e.API_HOST,
    port: e.API_PORT,
    tokens,
    bodyLimit: e.API_BODY_LIMIT_BYTES,
    format: e.API_FORMAT,
    rateLimit: { burst: e.API_RATE_LIMIT_BURST, perSecond: e.API_RATE_LIMIT_PER_SECOND },
  };
}
