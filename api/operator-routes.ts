/**
 * The operating calls: validated against the read model, published to `operator.requests` for the
 * processors to act on, and answered 202 with the request id (an Idempotency-Key becomes the
 * request id, so a retried call is acted on once).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OperatorRequest, OperatorRequestType } from '../schemas/records/operator-request.js';
import { HttpError, parse } from './http-error.js';
import type { ApiMetrics } from './metrics.js';
import type { OperatorPublisher } from './publisher.js';
import type { FleetReadModel } from './read-model.js';
import {
  approveBody,
  createShadowBody,
  MAX_WINDOW_MINUTES,
  maintenanceBody,
  pauseBody,
  promoteShadowBody,
  regionFailoverBody,
  regionParams,
  resumeBody,
  retireShadowBody,
  windowParams,
} from './schemas.js';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;

export interface OperatorRoutesDeps {
  model: FleetReadModel;
  publisher: OperatorPublisher;
  metrics: ApiMetrics;
  now: () => number;
}

export function registerOperatorRoutes(app: FastifyInstance, deps: OperatorRoutesDeps): void {
  const { model, publisher, metrics, now } = deps;
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
}
