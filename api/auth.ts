/**
 * Bearer-token authentication. Tokens are configured as sha256 hashes (never in clear), presented
 * tokens are hashed and compared with `timingSafeEqual` against every configured hash so the
 * comparison time reveals neither which token nor how much of it matched. Roles: `read` sees state,
 * `operate` may also make operating calls.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../streams/runtime/errors.js';

export type ApiRole = 'read' | 'operate';

export interface ApiToken {
  principal: string;
  role: ApiRole;
  /** Lower-case hex sha256 of the token. */
  sha256: string;
}

export interface Principal {
  principal: string;
  role: ApiRole;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const ENTRY = /^([A-Za-z0-9._@-]{1,64}):(read|operate):([0-9a-f]{64})$/;

/** Parses `principal:role:sha256hex` entries separated by commas (the API_TOKENS variable). */
export function parseTokens(spec: string): ApiToken[] {
  const tokens: ApiToken[] = [];
  for (const raw of spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const m = ENTRY.exec(raw);
    if (!m)
      throw new ConfigError('API_TOKENS entries must be principal:read|operate:<sha256 hex>', {
        entry: raw.split(':')[0],
      });
    tokens.push({ principal: m[1]!, role: m[2] as ApiRole, sha256: m[3]! });
  }
  return tokens;
}

export function authenticate(header: string | undefined, tokens: readonly ApiToken[]): Principal | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S{1,512})$/i.exec(header.trim());
  if (!m) return undefined;
  const presented = Buffer.from(hashToken(m[1]!), 'hex');
  let found: Principal | undefined;
  for (const t of tokens) {
    // No early exit: every configured hash is compared, whatever matched.
    if (timingSafeEqual(presented, Buffer.from(t.sha256, 'hex')) && !found)
      found = { principal: t.principal, role: t.role };
  }
  return found;
}

export function allows(role: ApiRole, needed: ApiRole): boolean {
  return needed === 'read' || role === 'operate';
}
