/**
 * The HTTP API (fastify). Reads answer from the read model (built from the processors' output
 * topics); operating calls (shadow create/promote/retire, region failover and drills, and the
 * safety controls: pause/resume, maintenance windows, approval of a region failover) are validated,
 * published to `operator.requests` for the processors to act on, and answered 202 with the request
 * id. The controls' state is read back from what the processors publish (control.state,
 * region.failovers): the API holds none of it. Every route but /health needs a bearer token (`read` or `operate`); every operating call,
 * accepted or refused, leaves an audit record on `audit.api`. Errors are JSON `{ error, message,
 * issues? }` with a stable code.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { OperatorRequest, OperatorRequestType } from '../schemas/records/operator-request.js';
import { type ApiRole, type ApiToken, allows, authenticate, type Principal } from './auth.js';
import { type ApiMetrics, createApiMetrics } from './metrics.js';
import { buildOpenApi, type RouteDoc } from './openapi.js';
import type { OperatorPublisher } from './publisher.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import type { FleetReadModel } from './read-model.js';
import {
  acceptedResponse,
  approveBody,
  createShadowBody,
  type ErrorResponse,
  eventsQuery,
  hostParams,
  MAX_WINDOW_MINUTES,
  maintenanceBody,
  maintenanceQuery,
  pauseBody,
  promoteShadowBody,
  regionFailoverBody,
  regionParams,
  resumeBody,
  retireShadowBody,
  riskQuery,
  shadowStatusQuery,
  windowParams,
} from './schemas.js';

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

/** Generous for dashboards polling every second, tight enough to stop a flood or a token guesser. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { burst: 300, perSecond: 50 };

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;

const ROUTES: RouteDoc[] = [
  { method: 'GET', url: '/health', summary: 'Liveness and read-model freshness', tag: 'ops', role: null },
  { method: 'GET', url: '/metrics', summary: 'Prometheus metrics (text format)', tag: 'ops', role: 'read' },
  { method: 'GET', url: '/openapi.json', summary: 'This document', tag: 'ops', role: 'read' },
  {
    method: 'GET',
    url: '/fleet',
    summary: 'Hosts with risk, resources and hosted shadows',
    tag: 'fleet',
    role: 'read',
  },
  { method: 'GET', url: '/risk', summary: 'Host risk, highest first', tag: 'fleet', role: 'read', query: riskQuery },
  {
    method: 'GET',
    url: '/hosts/:id/risk',
    summary: 'Latest risk of one host with its drivers',
    tag: 'fleet',
    role: 'read',
    params: hostParams,
    notFound: true,
  },
  {
    method: 'GET',
    url: '/shadow/status',
    summary: 'Shadow states and shadow-hours',
    tag: 'shadows',
    role: 'read',
    query: shadowStatusQuery,
  },
  {
    method: 'POST',
    url: '/shadow/create',
    summary: 'Request a shadow of a resource',
    tag: 'shadows',
    role: 'operate',
    body: createShadowBody,
    response: acceptedResponse,
    successStatus: 202,
    notFound: true,
  },
  {
    method: 'POST',
    url: '/shadow/promote',
    summary: 'Promote a ready shadow to primary (fenced by epoch)',
    tag: 'shadows',
    role: 'operate',
    body: promoteShadowBody,
    response: acceptedResponse,
    successStatus: 202,
    notFound: true,
  },
  {
    method: 'POST',
    url: '/shadow/retire',
    summary: 'Retire a shadow',
    tag: 'shadows',
    role: 'operate',
    body: retireShadowBody,
    response: acceptedResponse,
    successStatus: 202,
    notFound: true,
  },
  {
    method: 'GET',
    url: '/regions',
    summary: 'Regions with health, blueprint and DAG summaries',
    tag: 'regions',
    role: 'read',
  },
  {
    method: 'GET',
    url: '/regions/:id/blueprint',
    summary: 'Shadow blueprint with launch levels in DAG order',
    tag: 'regions',
    role: 'read',
    params: regionParams,
    notFound: true,
  },
  {
    method: 'GET',
    url: '/regions/:id/dag',
    summary: 'Service dependency DAG',
    tag: 'regions',
    role: 'read',
    params: regionParams,
    notFound: true,
  },
  {
    method: 'POST',
    url: '/regions/:id/failover',
    summary: 'Fail a region over to its shadow region, or drill it (dryRun)',
    tag: 'regions',
    role: 'operate',
    params: regionParams,
    body: regionFailoverBody,
    response: acceptedResponse,
    successStatus: 202,
    notFound: true,
  },
  {
    method: 'GET',
    url: '/inventory/unknown-hosts',
    summary: 'Hosts that report metrics but are not in the inventory (hosts table)',
    tag: 'fleet',
    role: 'read',
  },
  {
    method: 'GET',
    url: '/regions/:id/failover',
    summary: "Where the region's latest real failover stands (PENDING_APPROVAL, RUNNING, ...)",
    tag: 'regions',
    role: 'read',
    params: regionParams,
    notFound: true,
  },
  {
    method: 'POST',
    url: '/regions/:id/failover/approve',
    summary: 'Approve the region failover that region health asked for (PENDING_APPROVAL)',
    tag: 'regions',
    role: 'operate',
    params: regionParams,
    body: approveBody,
    response: acceptedResponse,
    successStatus: 202,
    notFound: true,
  },
  {
    method: 'GET',
    url: '/failover/events',
    summary: 'Failover log, newest first',
    tag: 'failover',
    role: 'read',
    query: eventsQuery,
  },
  {
    method: 'GET',
    url: '/control',
    summary: 'Safety controls in force: pause, maintenance windows, failovers awaiting approval',
    tag: 'control',
    role: 'read',
  },
  {
    method: 'POST',
    url: '/control/pause',
    summary: 'Pause automation: no new automatic action until resumed (recorded as suppressed)',
    tag: 'control',
    role: 'operate',
    body: pauseBody,
    response: acceptedResponse,
    successStatus: 202,
  },
  {
    method: 'POST',
    url: '/control/resume',
    summary: 'Resume automation',
    tag: 'control',
    role: 'operate',
    body: resumeBody,
    response: acceptedResponse,
    successStatus: 202,
  },
  {
    method: 'GET',
    url: '/maintenance',
    summary: 'Maintenance windows in force or planned',
    tag: 'control',
    role: 'read',
    query: maintenanceQuery,
  },
  {
    method: 'POST',
    url: '/maintenance',
    summary: 'Set a maintenance window for a host or region (no shadow trigger, no failover within it)',
    tag: 'control',
    role: 'operate',
    body: maintenanceBody,
    response: acceptedResponse,
    successStatus: 202,
    notFound: true,
  },
  {
    method: 'POST',
    url: '/maintenance/:id/cancel',
    summary: 'Cancel a maintenance window',
    tag: 'control',
    role: 'operate',
    params: windowParams,
    response: acceptedResponse,
    successStatus: 202,
    notFound: true,
  },
];

function roleOf(routes: readonly RouteDoc[], method: string, url: string): ApiRole | null {
  const route = routes.find((r) => r.method === method && r.url === url);
  // Unknown routes still need a token, so probing reveals nothing to anonymous callers.
  return route === undefined ? 'read' : route.role;
}

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

  // ---- reads ---------------------------------------------------------------------------------
  app.get('/fleet', async () => ({ hosts: model.fleet(), counts: model.counts() }));
  app.get('/risk', async (req) => {
    const q = parse(riskQuery, req.query, 'query');
    return { hosts: model.risks(q.region, q.minPFail ?? 0) };
  });
  app.get('/hosts/:id/risk', async (req) => {
    const { id } = parse(hostParams, req.params, 'path');
    const r = model.hostRisk(id);
    if (!r) throw new HttpError(404, 'NOT_FOUND', `no risk known for host ${id}`);
    return r;
  });
  app.get('/shadow/status', async (req) => {
    const q = parse(shadowStatusQuery, req.query, 'query');
    const shadows = model.shadowList(q);
    return { shadows, shadowHours: model.shadowHours(shadows, now()) };
  });
  app.get('/regions', async () => ({ regions: model.regions() }));
  app.get('/regions/:id/blueprint', async (req) => {
    const { id } = parse(regionParams, req.params, 'path');
    const bp = model.blueprintWithLevels(id);
    if (!bp) throw new HttpError(404, 'NOT_FOUND', `no shadow blueprint for region ${id}`);
    return bp;
  });
  app.get('/regions/:id/dag', async (req) => {
    const { id } = parse(regionParams, req.params, 'path');
    const dag = model.dag(id);
    if (!dag) throw new HttpError(404, 'NOT_FOUND', `no dependency DAG for region ${id}`);
    return dag;
  });
  app.get('/inventory/unknown-hosts', async () => ({ hosts: model.unknownHosts() }));
  app.get('/failover/events', async (req) => {
    const q = parse(eventsQuery, req.query, 'query');
    return { events: model.eventList(q) };
  });
  app.get('/regions/:id/failover', async (req) => {
    const { id } = parse(regionParams, req.params, 'path');
    if (!model.knowsRegion(id)) throw new HttpError(404, 'NOT_FOUND', `unknown region ${id}`);
    return model.regionFailover(id) ?? { region: id, status: 'NONE' };
  });
  app.get('/control', async () => model.control(now()));
  app.get('/maintenance', async (req) => {
    const q = parse(maintenanceQuery, req.query, 'query');
    return { windows: model.maintenanceWindows(q, now()) };
  });

  // ---- operating calls -----------------------------------------------------------------------
  const operate = async (
    req: FastifyRequest,
    reply: FastifyReply,
    type: OperatorRequestType,
    subject: string,
    extra: Partial<OperatorRequest> = {},
    allPartitions = false,
  ) => {
    const request: OperatorRequest = {
      requestId: req.operationId,
      type,
      subject,
      targetHost: '',
      dryRun: false,
      principal: req.principal?.principal ?? 'anonymous',
      requestedAt: now(),
      reason: '',
      scope: 'NONE',
      startsAt: 0,
      endsAt: 0,
      windowId: '',
      ...extra,
    };
    try {
      await publisher.publishRequest(request, { allPartitions });
    } catch (err: unknown) {
      req.log.error({ err }, 'operator request could not be published');
      throw new HttpError(503, 'UNAVAILABLE', 'the request could not be recorded; retry with the same Idempotency-Key');
    }
    metrics.operations.inc({ type, dryRun: String(request.dryRun) });
    reply.code(202);
    return { requestId: request.requestId, status: 'ACCEPTED' as const, type, subject };
  };

  app.addHook('preHandler', async (req) => {
    if (req.method !== 'POST') return;
    const key = req.headers['idempotency-key'];
    if (key !== undefined) {
      if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
        throw new HttpError(
          400,
          'VALIDATION_FAILED',
          'Idempotency-Key must be 8-128 characters of letters, digits and . _ : -',
        );
      }
      // The key becomes the request id, so a retried call is acted on once by the processors.
      req.operationId = key;
    } else {
      req.operationId = randomUUID();
    }
  });

  app.post('/shadow/create', async (req, reply) => {
    const body = parse(createShadowBody, req.body, 'body');
    if (!model.deployment(body.resourceId))
      throw new HttpError(404, 'NOT_FOUND', `unknown resource ${body.resourceId}`);
    return operate(req, reply, 'CREATE_SHADOW', body.resourceId, { targetHost: body.targetHost ?? '' });
  });
  app.post('/shadow/promote', async (req, reply) => {
    const body = parse(promoteShadowBody, req.body, 'body');
    const s = model.shadow(body.resourceId);
    if (!s) throw new HttpError(404, 'NOT_FOUND', `no shadow of ${body.resourceId}`);
    if (s.state !== 'READY')
      throw new HttpError(409, 'CONFLICT', `shadow of ${body.resourceId} is ${s.state}, not READY`);
    return operate(req, reply, 'PROMOTE_SHADOW', body.resourceId);
  });
  app.post('/shadow/retire', async (req, reply) => {
    const body = parse(retireShadowBody, req.body, 'body');
    if (!model.shadow(body.resourceId)) throw new HttpError(404, 'NOT_FOUND', `no shadow of ${body.resourceId}`);
    return operate(req, reply, 'RETIRE_SHADOW', body.resourceId);
  });
  app.post('/regions/:id/failover', async (req, reply) => {
    const { id } = parse(regionParams, req.params, 'path');
    const body = parse(regionFailoverBody, req.body, 'body');
    if (!model.blueprint(id)) throw new HttpError(404, 'NOT_FOUND', `no shadow blueprint for region ${id}`);
    return operate(req, reply, 'REGION_FAILOVER', id, { dryRun: body.dryRun });
  });
  app.post('/regions/:id/failover/approve', async (req, reply) => {
    const { id } = parse(regionParams, req.params, 'path');
    parse(approveBody, req.body, 'body');
    if (!model.knowsRegion(id)) throw new HttpError(404, 'NOT_FOUND', `unknown region ${id}`);
    const status = model.regionFailover(id)?.status ?? 'NONE';
    if (status !== 'PENDING_APPROVAL')
      throw new HttpError(409, 'CONFLICT', `no failover of ${id} awaits approval (status ${status})`);
    return operate(req, reply, 'APPROVE_REGION_FAILOVER', id);
  });

  // ---- safety controls -------------------------------------------------------------------------
  // The pause concerns every region: written to every partition of operator.requests, so each task
  // of the region-partitioned orchestrator sees it (the shadow manager acts on the first copy).
  app.post('/control/pause', async (req, reply) => {
    const body = parse(pauseBody, req.body, 'body');
    return operate(req, reply, 'PAUSE', 'fleet', { scope: 'FLEET', reason: body.reason ?? '' }, true);
  });
  app.post('/control/resume', async (req, reply) => {
    const body = parse(resumeBody, req.body, 'body');
    return operate(req, reply, 'RESUME', 'fleet', { scope: 'FLEET', reason: body.reason ?? '' }, true);
  });
  app.post('/maintenance', async (req, reply) => {
    const body = parse(maintenanceBody, req.body, 'body');
    const at = now();
    const startsAt = body.start ?? at;
    const endsAt = body.end ?? startsAt + (body.durationMinutes ?? 0) * 60_000;
    const invalid = (path: string, message: string) =>
      new HttpError(400, 'VALIDATION_FAILED', `invalid body: ${path}: ${message}`, [{ path, message }]);
    if (endsAt <= startsAt) throw invalid('body.end', 'is not after the start');
    if (endsAt <= at) throw invalid('body.end', 'is in the past');
    if (endsAt - startsAt > MAX_WINDOW_MINUTES * 60_000)
      throw invalid('body.end', `is more than ${MAX_WINDOW_MINUTES} minutes after the start`);
    const scope = body.host !== undefined ? 'HOST' : 'REGION';
    const subject = body.host ?? body.region ?? '';
    const known = scope === 'HOST' ? model.knowsHost(subject) : model.knowsRegion(subject);
    if (!known) throw new HttpError(404, 'NOT_FOUND', `unknown ${scope.toLowerCase()} ${subject}`);
    // The window's id is its request id: what GET /maintenance lists and /maintenance/{id}/cancel takes.
    return operate(req, reply, 'SET_MAINTENANCE', subject, { scope, startsAt, endsAt, reason: body.reason });
  });
  app.post('/maintenance/:id/cancel', async (req, reply) => {
    const { id } = parse(windowParams, req.params, 'path');
    const w = model.maintenanceWindow(id);
    if (!w) throw new HttpError(404, 'NOT_FOUND', `no maintenance window ${id}`);
    // Keyed like the window, so the orchestrator task that holds a region's window sees its cancel.
    return operate(req, reply, 'CANCEL_MAINTENANCE', w.subject, { scope: w.scope, windowId: id });
  });

  for (const ext of options.extensions ?? []) await ext.register(app);

  await app.ready();
  return app;
}

function sendError(reply: FastifyReply, err: HttpError): FastifyReply {
  const body: ErrorResponse = { error: err.code, message: err.message };
  if (err.issues) body.issues = err.issues;
  return reply.code(err.status).type('application/json').send(body);
}
