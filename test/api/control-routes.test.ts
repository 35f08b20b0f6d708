/**
 * The safety-control routes (fastify inject, a memory publisher): what each publishes on
 * operator.requests, what it refuses, the audit trail, and the views of control.state and
 * region.failovers. The processors' side is tested in test/processors and on the broker.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken, parseTokens } from '../../api/auth.js';
import { MemoryPublisher } from '../../api/publisher.js';
import { FleetReadModel } from '../../api/read-model.js';
import { buildApiServer } from '../../api/server.js';
import type { ControlState } from '../../schemas/records/control-state.js';
import type { RegionFailoverStatus } from '../../schemas/records/region-failover-status.js';
import { blueprint, host, T0 } from '../processors/shadow-manager/fixtures.js';

const OPERATOR = 'op-token-1234567890';
const READER = 'read-token-1234567890';
const tokens = parseTokens(`alice:operate:${hashToken(OPERATOR)},grafana:read:${hashToken(READER)}`);
const auth = (t: string) => ({ authorization: `Bearer ${t}` });
const NOW = T0 + 3_600_000;

let app: FastifyInstance;
let publisher: MemoryPublisher;
let model: FleetReadModel;

const windowState = (id: string, over: Partial<ControlState> = {}): ControlState => ({
  controlId: id,
  kind: 'MAINTENANCE',
  active: true,
  scope: 'HOST',
  subject: 'h1',
  reason: 'kernel',
  startsAt: NOW,
  endsAt: NOW + 3_600_000,
  principal: 'alice',
  requestId: id,
  updatedAt: NOW,
  ...over,
});

const regionStatus = (status: RegionFailoverStatus['status']): RegionFailoverStatus => ({
  region: 'eu-1',
  status,
  failoverId: '',
  epoch: 0,
  step: '',
  trigger: 'region health FAILED: 6/10 hosts failed',
  advisory: false,
  since: NOW - 60_000,
  updatedAt: NOW - 60_000,
  detail: '',
});

beforeEach(async () => {
  model = new FleetReadModel();
  model.apply('hosts', 'h1', host('h1', 'a', 'r1'));
  model.apply('blueprints', 'eu-1', blueprint('eu-1', [{ name: 'db', level: 0 }]));
  publisher = new MemoryPublisher();
  app = await buildApiServer({ readModel: model, publisher, tokens, now: () => NOW });
});

afterEach(async () => {
  await app.close();
});

const post = (url: string, payload?: unknown, token = OPERATOR, key?: string) =>
  app.inject({
    method: 'POST',
    url,
    headers: { ...auth(token), ...(key ? { 'idempotency-key': key } : {}) },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
const get = (url: string, token = READER) => app.inject({ method: 'GET', url, headers: auth(token) });

describe('pause and resume', () => {
  it('publish PAUSE/RESUME to every partition, operate role only, audited', async () => {
    const paused = await post('/control/pause', { reason: 'incident 42' }, OPERATOR, 'pause-0001');
    expect(paused.statusCode).toBe(202);
    expect(paused.json()).toEqual({ requestId: 'pause-0001', status: 'ACCEPTED', type: 'PAUSE', subject: 'fleet' });
    expect(publisher.requests[0]).toMatchObject({
      requestId: 'pause-0001',
      type: 'PAUSE',
      subject: 'fleet',
      scope: 'FLEET',
      reason: 'incident 42',
      principal: 'alice',
    });
    expect(publisher.toAllPartitions).toEqual(['pause-0001']);
    expect((await post('/control/resume', {}, OPERATOR, 'resume-0001')).statusCode).toBe(202);
    expect(publisher.requests[1]).toMatchObject({ type: 'RESUME', scope: 'FLEET' });
    expect(publisher.toAllPartitions).toEqual(['pause-0001', 'resume-0001']);

    expect((await post('/control/pause', {}, READER)).statusCode).toBe(403);
    expect((await post('/control/pause', { reason: 'x', extra: 1 })).statusCode).toBe(400);
    expect(publisher.requests).toHaveLength(2);
    expect(publisher.audits.map((a) => [a.route, a.status, a.principal])).toEqual([
      ['/control/pause', 202, 'alice'],
      ['/control/resume', 202, 'alice'],
      ['/control/pause', 403, 'grafana'],
      ['/control/pause', 400, 'alice'],
    ]);
  });

  it('GET /control shows the pause and windows the processors published', async () => {
    expect((await get('/control')).json()).toEqual({
      paused: false,
      pause: null,
      maintenance: [],
      pendingApprovals: [],
    });
    const pause: ControlState = {
      ...windowState('pause'),
      kind: 'PAUSE',
      scope: 'FLEET',
      subject: '',
      reason: 'incident 42',
      endsAt: 0,
    };
    model.apply('controls', 'pause', pause);
    model.apply('controls', 'w-1', windowState('w-1'));
    model.apply('controls', 'w-old', windowState('w-old', { startsAt: T0, endsAt: NOW - 1 }));
    model.apply('regionFailovers', 'eu-1', regionStatus('PENDING_APPROVAL'));
    const body = (await get('/control')).json();
    expect(body.paused).toBe(true);
    expect(body.pause).toMatchObject({ reason: 'incident 42' });
    expect(body.maintenance.map((w: ControlState) => w.controlId)).toEqual(['w-1']);
    expect(body.pendingApprovals.map((s: RegionFailoverStatus) => s.region)).toEqual(['eu-1']);
    model.apply('controls', 'pause', { ...pause, active: false });
    expect((await get('/control')).json().paused).toBe(false);
  });
});

describe('maintenance windows', () => {
  it('sets a host window by duration, with the request id as window id', async () => {
    const res = await post(
      '/maintenance',
      { host: 'h1', durationMinutes: 90, reason: 'kernel' },
      OPERATOR,
      'mw-000001',
    );
    expect(res.statusCode).toBe(202);
    expect(publisher.requests[0]).toMatchObject({
      requestId: 'mw-000001',
      type: 'SET_MAINTENANCE',
      subject: 'h1',
      scope: 'HOST',
      startsAt: NOW,
      endsAt: NOW + 90 * 60_000,
      reason: 'kernel',
    });
  });

  it('sets a region window by start and end (ISO or epoch ms)', async () => {
    const start = new Date(NOW + 3_600_000).toISOString();
    const res = await post('/maintenance', { region: 'eu-1', start, end: NOW + 7_200_000, reason: 'DC power' });
    expect(res.statusCode).toBe(202);
    expect(publisher.requests[0]).toMatchObject({
      subject: 'eu-1',
      scope: 'REGION',
      startsAt: NOW + 3_600_000,
      endsAt: NOW + 7_200_000,
    });
  });

  it('refuses what cannot be a window, and unknown hosts and regions', async () => {
    const refusals = [
      [{ durationMinutes: 5, reason: 'x' }, 400, 'body.host'],
      [{ host: 'h1', region: 'eu-1', durationMinutes: 5, reason: 'x' }, 400, 'body.host'],
      [{ host: 'h1', reason: 'x' }, 400, 'body.end'],
      [{ host: 'h1', durationMinutes: 5, end: NOW + 1, reason: 'x' }, 400, 'body.end'],
      [{ host: 'h1', durationMinutes: 5 }, 400, 'body.reason'],
      [{ host: 'h1', durationMinutes: 5, reason: '' }, 400, 'body.reason'],
      [{ host: 'h1', durationMinutes: 0, reason: 'x' }, 400, 'body.durationMinutes'],
      [{ host: 'h1', durationMinutes: 50_000, reason: 'x' }, 400, 'body.durationMinutes'],
      [{ host: 'h1', end: NOW - 1, reason: 'x' }, 400, 'body.end'],
      [{ host: 'h1', start: NOW + 10, end: NOW + 5, reason: 'x' }, 400, 'body.end'],
      [{ host: 'h1', start: 'tomorrow', durationMinutes: 5, reason: 'x' }, 400, 'body.start'],
      [{ host: 'nope', durationMinutes: 5, reason: 'x' }, 404, ''],
      [{ region: 'mars-1', durationMinutes: 5, reason: 'x' }, 404, ''],
    ] as const;
    for (const [payload, status, path] of refusals) {
      const res = await post('/maintenance', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      if (path)
        expect(
          res.json().issues.map((i: { path: string }) => i.path),
          JSON.stringify(payload),
        ).toContain(path);
    }
    expect(publisher.requests).toEqual([]);
  });

  it('lists windows (filtered) and cancels one by id, keyed like the window', async () => {
    model.apply('controls', 'w-1', windowState('w-1'));
    model.apply('controls', 'w-2', windowState('w-2', { scope: 'REGION', subject: 'eu-1', startsAt: NOW + 5 }));
    expect((await get('/maintenance')).json().windows.map((w: ControlState) => w.controlId)).toEqual(['w-1', 'w-2']);
    expect((await get('/maintenance?region=eu-1')).json().windows.map((w: ControlState) => w.controlId)).toEqual([
      'w-2',
    ]);
    expect((await get('/maintenance?host=h1')).json().windows.map((w: ControlState) => w.controlId)).toEqual(['w-1']);
    const res = await post('/maintenance/w-2/cancel');
    expect(res.statusCode).toBe(202);
    expect(publisher.requests[0]).toMatchObject({
      type: 'CANCEL_MAINTENANCE',
      subject: 'eu-1',
      scope: 'REGION',
      windowId: 'w-2',
    });
    expect((await post('/maintenance/w-9/cancel')).statusCode).toBe(404);
    expect((await post('/maintenance/w-1/cancel', undefined, READER)).statusCode).toBe(403);
  });
});

describe('region failover approval', () => {
  it('shows the status; approves only what is pending', async () => {
    expect((await get('/regions/eu-1/failover')).json()).toEqual({ region: 'eu-1', status: 'NONE' });
    expect((await get('/regions/mars-1/failover')).statusCode).toBe(404);
    const refused = await post('/regions/eu-1/failover/approve', {});
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({
      error: 'CONFLICT',
      message: 'no failover of eu-1 awaits approval (status NONE)',
    });

    model.apply('regionFailovers', 'eu-1', regionStatus('PENDING_APPROVAL'));
    expect((await get('/regions/eu-1/failover')).json()).toMatchObject({ status: 'PENDING_APPROVAL' });
    expect((await post('/regions/eu-1/failover/approve', {}, READER)).statusCode).toBe(403);
    const ok = await post('/regions/eu-1/failover/approve', undefined, OPERATOR, 'approve-eu-1');
    expect(ok.statusCode).toBe(202);
    expect(publisher.requests).toEqual([
      expect.objectContaining({ requestId: 'approve-eu-1', type: 'APPROVE_REGION_FAILOVER', subject: 'eu-1' }),
    ]);
    expect(publisher.audits.filter((a) => a.status === 202).map((a) => a.route)).toEqual([
      '/regions/:id/failover/approve',
    ]);
    // The region list carries the status too (the dashboard reads it there).
    expect((await get('/regions')).json().regions[0].failover).toMatchObject({ status: 'PENDING_APPROVAL' });
  });
});

describe('metrics', () => {
  it('exposes the controls in force as gauges', async () => {
    model.apply('controls', 'pause', {
      ...windowState('pause'),
      kind: 'PAUSE',
      scope: 'FLEET',
      subject: '',
      endsAt: 0,
    });
    model.apply('controls', 'w-1', windowState('w-1'));
    model.apply('regionFailovers', 'eu-1', regionStatus('PENDING_APPROVAL'));
    const text = (await get('/metrics')).body;
    expect(text).toContain('foreshadow_api_paused 1');
    expect(text).toContain('foreshadow_api_maintenance_windows{scope="HOST"} 1');
    expect(text).toContain('foreshadow_api_maintenance_windows{scope="REGION"} 0');
    expect(text).toContain('foreshadow_api_region_failovers_pending_approval 1');
    expect(text).toContain('foreshadow_api_advisory_shadows 0');
  });
});

describe('OpenAPI', () => {
  it('documents the control routes with their roles', async () => {
    const doc = (await get('/openapi.json')).json();
    for (const [path, method] of [
      ['/control', 'get'],
      ['/control/pause', 'post'],
      ['/control/resume', 'post'],
      ['/maintenance', 'get'],
      ['/maintenance', 'post'],
      ['/maintenance/{id}/cancel', 'post'],
      ['/regions/{id}/failover', 'get'],
      ['/regions/{id}/failover/approve', 'post'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(doc.paths['/maintenance'].post.requestBody.content['application/json'].schema.properties).toHaveProperty(
      'durationMinutes',
    );
    expect(doc.paths['/control/pause'].post.responses['403'].description).toBe('role operate required');
  });
});
