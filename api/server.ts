/**
 * The HTTP API (fastify). Reads answer from the read model (built from the processors' output
 * topics: read-routes.ts); operating calls (shadow create/promote/retire, region failover and
 * drills, and the safety controls: pause/resume, maintenance windows, approval of a region
 * failover) are validated, published to `operator.requests` for the processors to act on, and
 * answered 202 with the request id (operator-routes.ts). The controls' state is read back from what
 * the processors publish (control.state, region.failovers): the API holds none of it. This module
 * puts the server together: every route but /health needs a bearer token (`read` or `operate`, as
 * routes.ts documents), every operating call, accepted or refused, leaves an audit record on
 * `audit.api`, and errors are JSON `{ error, message, issues? }` with a stable code (http-error.ts).
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { type ApiRole, type ApiToken, allows, authenticate, type Principal } from './auth.js';
import { HttpError, sendError } from './http-error.js';
import { type ApiMetrics, createApiMetrics } from './metrics.js';
import { buildOpenApi, type RouteDoc } from './openapi.js';
import { registerOperatorRoutes } from './operator-routes.js';
import type { OperatorPublisher } from './publisher.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import type { FleetReadModel } from './read-model.js';
import { registerReadRoutes } from './read-routes.js';
import { ROUTES, roleOf } from './routes.js';

export const API_VERSION = '0.1.0';

export interface ApiServerOptions {
  readModel: FleetReadModel;
  publisher: OperatorPublisher;
  tokens: readonly ApiToken[];
  /** Largest accepted request body in bytes. */
  bodyLimit?: number;
  now?: () => number;
  logger?: boolean;
  /** Expose process metrics (CPU, memory, event loop) besides the API's own. */
  defaultMetrics?: boolean;
  /** Registry to register the API's metrics in (a process-wide /metrics); default one of its own. */
  metricsRegistry?: Registry;
  /** Extra route groups (the dashboard): documented and authorised like the built-in routes. */
  extensions?: readonly ApiExtension[];
  /** Requests per client (principal, else remote address); `false` turns the limit off. */
  rateLimit?: RateLimitOptions | false;
}

/** A route group mounted before the server is sealed; its RouteDocs decide each route's role. */
export interface ApiExtension {
  routes: readonly RouteDoc[];
  register(app: FastifyInstance): void | Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    operationId: string;
  }
  interface FastifyContextConfig {
    role?: ApiRole | null;
  }
}

/** Generous for dashboards polling every second, tight enough to stop a flood or a token guesser. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { burst: 300, perSecond: 50 };

export async function buildApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const { readModel: model, publisher, tokens } = options;
  const now = options.now ?? Date.now;
  const metrics: ApiMetrics = createApiMetrics(model, options.defaultMetrics ?? false, now, options.metricsRegistry);
  const routes = [...ROUTES, ...(options.extensions ?? []).flatMap((e) => e.routes)];
  const openapi = buildOpenApi(routes, API_VERSION);
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimit ?? 16 * 1024 });

  app.decorateRequest('principal', null);
  app.decorateRequest('operationId', '');
  const limiter =
    options.rateLimit === false ? undefined : new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT, now);

  app.addHook('onRequest', async (req, reply) => {
    const url = req.routeOptions.url;
    const needed = url === undefined ? 'read' : roleOf(routes, req.method, url);
    if (needed === null) return;
    req.principal = authenticate(req.headers.authorization, tokens) ?? null;
    // Limited before the 401 too: guessing tokens from one address is throttled like any caller.
    const wait = limiter?.take(req.principal ? `p:${req.principal.principal}` : `ip:${req.ip}`) ?? 0;
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      return sendError(reply, new HttpError(429, 'RATE_LIMITED', `too many requests; retry in ${wait} s`));
    }
    if (!req.principal) {
      reply.header('www-authenticate', 'Bearer realm="foreshadow"');
      return sendError(reply, new HttpError(401, 'UNAUTHORIZED', 'a valid bearer token is required'));
    }
    if (!allows(req.principal.role, needed)) {
      return sendError(
        reply,
        new HttpError(
          403,
          'FORBIDDEN',
          `role ${needed} required; ${req.principal.principal} has ${req.principal.role}`,
        ),
      );
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unknown';
    metrics.requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    if (req.method !== 'POST') return;
    try {
      await publisher.publishAudit({
        auditId: randomUUID(),
        principal: req.principal?.principal ?? 'anonymous',
        role: req.principal?.role ?? 'none',
        method: req.method,
        route,
        status: reply.statusCode,
        remoteAddress: req.ip,
        requestId: req.operationId,
        timestamp: now(),
      });
    } catch (err: unknown) {
      req.log.error({ err }, 'audit record could not be written');
    }
  });

  app.setErrorHandler((err: unknown, _req, reply) => {
    if (err instanceof HttpError) return sendError(reply, err);
    const e = err as { statusCode?: number; code?: string; message?: string };
    const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
    const code =
      status === 413
        ? 'PAYLOAD_TOO_LARGE'
        : status === 415
          ? 'UNSUPPORTED_MEDIA_TYPE'
          : status === 400
            ? 'MALFORMED_REQUEST'
            : status === 500
              ? 'INTERNAL'
              : (e.code ?? 'BAD_REQUEST');
    if (status === 500) reply.log.error({ err }, 'request failed');
    return sendError(
      reply,
      new HttpError(status, code, status === 500 ? 'internal error' : (e.message ?? 'bad request')),
    );
  });

  app.setNotFoundHandler((req, reply) =>
    sendError(reply, new HttpError(404, 'NOT_FOUND', `no route ${req.method} ${req.url}`)),
  );

  // ---- ops -----------------------------------------------------------------------------------
  app.get('/health', async () => ({ status: 'ok', version: API_VERSION, readModel: model.freshness() }));
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get('/openapi.json', async () => openapi);

  registerReadRoutes(app, model, now);

  registerOperatorRoutes(app, { model, publisher, metrics, now });

  for (const ext of options.extensions ?? []) await ext.register(app);

  await app.ready();
  return app;
}
