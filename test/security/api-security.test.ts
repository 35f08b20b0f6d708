/**
 * HTTP API security on the real fastify server (in-process inject): hashed tokens only, read vs
 * operate roles, an audit record for every operating call whatever its outcome, per-client rate
 * limits (also against token guessing), request size limits and hostile bodies (10 MB, deeply
 * nested, malformed). test/api/server.test.ts covers validation errors; this file the abuse cases.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { authenticate, hashToken, parseTokens } from '../../api/auth.js';
import { MemoryPublisher } from '../../api/publisher.js';
import { RateLimiter } from '../../api/rate-limit.js';
import { FleetReadModel } from '../../api/read-model.js';
import { buildApiServer } from '../../api/server.js';
import { deployment } from '../processors/shadow-manager/fixtures.js';
import { recordFigure } from '../reliability/support/figures.js';
import { recordAuthCase } from './auth-cases.js';

const OPERATOR = `op-${randomBytes(16).toString('hex')}`;
const READER = `rd-${randomBytes(16).toString('hex')}`;
const tokens = parseTokens(`alice:operate:${hashToken(OPERATOR)},grafana:read:${hashToken(READER)}`);
const auth = (t: string) => ({ authorization: `Bearer ${t}` });

let app: FastifyInstance | undefined;
let clock = 1_800_000_000_000;

async function server(rate: { burst: number; perSecond: number } | false, bodyLimit = 16_384) {
  const model = new FleetReadModel();
  model.apply('deployments', 'db-1', deployment('db-1', 'h1', 'CRITICAL'));
  const publisher = new MemoryPublisher();
  app = await buildApiServer({ readModel: model, publisher, tokens, bodyLimit, rateLimit: rate, now: () => clock });
  return { app, publisher };
}

afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('API authentication and roles', () => {
  it('accepts only the exact token, whatever else is presented', async () => {
    const { app, publisher } = await server(false);
    const cases: [string, Record<string, string>, number][] = [
      ['no header', {}, 401],
      ['empty bearer', { authorization: 'Bearer ' }, 401],
      ['basic scheme', { authorization: `Basic ${Buffer.from(`alice:${OPERATOR}`).toString('base64')}` }, 401],
      ['token prefix', auth(OPERATOR.slice(0, -1)), 401],
      ['token plus a byte', auth(`${OPERATOR}x`), 401],
      ['upper-cased token', auth(OPERATOR.toUpperCase()), 401],
      ['the stored hash as token', auth(hashToken(OPERATOR)), 401],
      ['5 kB token', auth('a'.repeat(5_000)), 401],
      ['two tokens', { authorization: `Bearer ${READER} ${OPERATOR}` }, 401],
      ['read token on an operating call', auth(READER), 403],
      ['operate token', auth(OPERATOR), 202],
    ];
    for (const [name, headers, status] of cases) {
      const res = await app.inject({ method: 'POST', url: '/shadow/create', headers, payload: { resourceId: 'db-1' } });
      expect(res.statusCode, name).toBe(status);
      recordAuthCase('api', name, status < 300 ? 'allowed' : 'refused');
    }
    // Every operating call, refused or not, left exactly one audit record naming who (or anonymous).
    expect(publisher.audits.length).toBe(cases.length);
    expect(publisher.audits.filter((a) => a.principal === 'anonymous').length).toBe(9);
    expect(publisher.audits.find((a) => a.status === 403)?.principal).toBe('grafana');
    expect(publisher.audits.find((a) => a.status === 202)?.principal).toBe('alice');
    expect(publisher.requests.length).toBe(1);
    // Nothing secret travels in the audit trail.
    const trail = JSON.stringify(publisher.audits);
    expect(trail).not.toContain(OPERATOR);
    expect(trail).not.toContain(READER);
  });

  it('stores tokens hashed only: a clear-text token in API_TOKENS is a configuration error that does not echo it', () => {
    const clear = `secret-${randomBytes(8).toString('hex')}`;
    let message = '';
    try {
      parseTokens(`alice:operate:${clear}`);
    } catch (err: unknown) {
      message = `${(err as Error).message} ${JSON.stringify(err)}`;
    }
    expect(message).toMatch(/sha256/);
    expect(message).not.toContain(clear);
    // The comparison runs over fixed-length digests against every configured entry.
    expect(authenticate(`Bearer ${OPERATOR}`, tokens)).toEqual({ principal: 'alice', role: 'operate' });
    expect(authenticate(`Bearer ${OPERATOR}`, [...tokens, ...tokens])).toEqual({ principal: 'alice', role: 'operate' });
    recordAuthCase('api', 'clear-text token in configuration', 'refused');
  });
});

describe('API rate limits', () => {
  it('throttles a client past its burst with 429 + Retry-After, others unaffected, refilling over time', async () => {
    const { app, publisher } = await server({ burst: 5, perSecond: 1 });
    const codes: number[] = [];
    for (let i = 0; i < 8; i++)
      codes.push((await app.inject({ method: 'GET', url: '/fleet', headers: auth(READER) })).statusCode);
    expect(codes).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    const limited = await app.inject({ method: 'GET', url: '/fleet', headers: auth(READER) });
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.json().error).toBe('RATE_LIMITED');
    // Another principal has its own bucket.
    expect((await app.inject({ method: 'GET', url: '/fleet', headers: auth(OPERATOR) })).statusCode).toBe(200);
    clock += 2_000;
    expect((await app.inject({ method: 'GET', url: '/fleet', headers: auth(READER) })).statusCode).toBe(200);
    // A throttled operating call is still audited.
    for (let i = 0; i < 6; i++)
      await app.inject({
        method: 'POST',
        url: '/shadow/create',
        headers: auth(OPERATOR),
        payload: { resourceId: 'db-1' },
      });
    expect(publisher.audits.some((a) => a.status === 429 && a.principal === 'alice')).toBe(true);
    recordAuthCase('api', 'client past its rate limit', 'refused');
  });

  it('throttles token guessing from one address', async () => {
    const { app } = await server({ burst: 10, perSecond: 0.5 });
    const codes = new Map<number, number>();
    for (let i = 0; i < 40; i++) {
      const res = await app.inject({ method: 'GET', url: '/fleet', headers: auth(randomBytes(16).toString('hex')) });
      codes.set(res.statusCode, (codes.get(res.statusCode) ?? 0) + 1);
    }
    expect(codes.get(401)).toBe(10);
    expect(codes.get(429)).toBe(30);
    recordAuthCase('api', '40 guessed tokens from one address (30 throttled)', 'refused');
  });

  it('keeps the limiter table bounded under a flood of new clients', () => {
    const rl = new RateLimiter({ burst: 1, perSecond: 1, maxKeys: 1_000 }, () => clock);
    for (let i = 0; i < 100_000; i++) rl.take(`ip:${i}`);
    expect(rl.size).toBe(1_000);
  });
});

describe('API size limits and hostile bodies', () => {
  it('refuses oversized, deeply nested and malformed bodies with clear errors, and stays up', async () => {
    const { app, publisher } = await server(false);
    const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const cases: { name: string; payload: string; status: number; type?: string }[] = [
      { name: '10 MB body', payload: `{"resourceId":"${'x'.repeat(10 * 1024 * 1024)}"}`, status: 413 },
      { name: 'deeply nested object (2,700 levels)', payload: nested(2_700), status: 400 },
      { name: 'deeply nested array (8,000 levels)', payload: `${'['.repeat(8_000)}${']'.repeat(8_000)}`, status: 400 },
      { name: 'nested object in a known field', payload: `{"resourceId":${nested(500)}}`, status: 400 },
      { name: 'malformed JSON', payload: '{"resourceId": "db-1",', status: 400 },
      { name: 'NUL bytes', payload: '{"resourceId":"db\\u0000-1"}', status: 400 },
      { name: 'prototype pollution', payload: '{"resourceId":"db-1","__proto__":{"role":"operate"}}', status: 400 },
      {
        name: 'constructor pollution',
        payload: '{"resourceId":"db-1","constructor":{"prototype":{"x":1}}}',
        status: 400,
      },
      { name: 'number as id', payload: '{"resourceId":1e309}', status: 400 },
      { name: 'text/plain body', payload: 'db-1', status: 400, type: 'text/plain' },
      { name: 'form body', payload: 'resourceId=db-1', status: 415, type: 'application/x-www-form-urlencoded' },
    ];
    for (const c of cases) {
      const res = await app.inject({
        method: 'POST',
        url: '/shadow/create',
        headers: { ...auth(OPERATOR), 'content-type': c.type ?? 'application/json' },
        payload: c.payload,
      });
      expect(res.statusCode, c.name).toBe(c.status);
      expect(typeof res.json().error, c.name).toBe('string');
    }
    expect(({} as Record<string, unknown>).role).toBeUndefined();
    expect(publisher.requests).toEqual([]);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});

describe('API fuzz', () => {
  it('answers every random body on every operating route with a 4xx JSON error, never a 5xx', async () => {
    const { app, publisher } = await server(false);
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const fragments = [
      '{',
      '}',
      '[',
      ']',
      '"resourceId"',
      ':',
      ',',
      '"db-1"',
      'null',
      'true',
      '1e999',
      '-0',
      '"\\u0000"',
      '"__proto__"',
      ' ',
    ];
    const statuses = new Map<number, number>();
    const routes = ['/shadow/create', '/shadow/promote', '/shadow/retire', '/regions/eu-1/failover'];
    for (let i = 0; i < 400; i++) {
      const payload =
        i % 2 === 0
          ? Buffer.from(Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)))
          : Array.from({ length: Math.floor(rnd() * 40) }, () => fragments[Math.floor(rnd() * fragments.length)]).join(
              '',
            );
      const res = await app.inject({
        method: 'POST',
        url: routes[i % routes.length]!,
        headers: { ...auth(OPERATOR), 'content-type': 'application/json' },
        payload,
      });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      expect(res.statusCode, String(payload).slice(0, 60)).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(typeof res.json().error).toBe('string');
    }
    recordFigure('fuzz-api', { bodies: 400, statuses: Object.fromEntries(statuses) });
    expect(publisher.requests).toEqual([]);
    expect(publisher.audits.length).toBe(400);
  });
});
