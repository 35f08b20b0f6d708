import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authenticate, hashToken, parseTokens } from '../../api/auth.js';
import { MemoryPublisher } from '../../api/publisher.js';
import { FleetReadModel } from '../../api/read-model.js';
import { buildApiServer } from '../../api/server.js';
import { newShadowRecord, toShadowState } from '../../streams/processors/shadow-manager/lifecycle.js';
import { blueprint, deployment, host, risk, T0 } from '../processors/shadow-manager/fixtures.js';

const OPERATOR = 'op-token-1234567890';
const READER = 'read-token-1234567890';
const tokens = parseTokens(`alice:operate:${hashToken(OPERATOR)},grafana:read:${hashToken(READER)}`);
const auth = (t: string) => ({ authorization: `Bearer ${t}` });

let app: FastifyInstance;
let publisher: MemoryPublisher;
let model: FleetReadModel;

beforeEach(async () => {
  model = new FleetReadModel();
  model.apply('hosts', 'h1', host('h1', 'a', 'r1'));
  model.apply('hosts', 'h3', host('h3', 'b', 'r1'));
  model.apply('deployments', 'db-1', deployment('db-1', 'h1', 'CRITICAL'));
  model.apply('deployments', 'api-1', deployment('api-1', 'h1', 'HIGH'));
  model.apply('risk', 'h1', risk('h1', 0.93, T0));
  model.apply('risk', 'h3', risk('h3', 0.02, T0));
  const ready = {
    ...toShadowState(newShadowRecord(deployment('db-1', 'h1', 'CRITICAL'), 3, 'PREDICTED', 0, T0)),
    state: 'READY' as const,
    shadowHost: 'h3',
    shadowMs: 3_600_000,
    updatedAt: T0,
  };
  model.apply('shadows', 'db-1', ready);
  model.apply('shadows', 'api-1', { ...ready, resourceId: 'api-1', state: 'SYNCING' as const, priority: 2 });
  model.apply(
    'blueprints',
    'eu-1',
    blueprint('eu-1', [
      { name: 'db', level: 0 },
      { name: 'api', level: 1, dependsOn: ['db'] },
    ]),
  );
  model.apply('dags', 'eu-1', {
    region: 'eu-1',
    version: 4,
    generatedAt: T0,
    nodeCount: 2,
    edgeCount: 1,
    cycleCount: 0,
    levelCount: 2,
    dag: '{"nodes":["api","db"],"edges":[["api","db"]]}',
  });
  model.apply('events', 'h1', {
    eventId: 'e1',
    failoverId: 'hf:h1:1',
    scope: 'HOST',
    subject: 'h1',
    step: 'DETECTED',
    resourceId: '',
    fromHost: '',
    toHost: '',
    epoch: 0,
    dryRun: false,
    elapsedMs: 0,
    detail: '',
    timestamp: T0,
  });
  publisher = new MemoryPublisher();
  app = await buildApiServer({ readModel: model, publisher, tokens, bodyLimit: 1024, now: () => T0 + 3_600_000 });
});

afterEach(async () => {
  await app.close();
});

describe('authentication', () => {
  it('serves /health without a token and everything else only with one', async () => {
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    for (const url of ['/fleet', '/metrics', '/openapi.json', '/shadow/status', '/regions', '/nowhere']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json()).toMatchObject({ error: 'UNAUTHORIZED' });
      expect(res.headers['www-authenticate']).toContain('Bearer');
    }
    expect((await app.inject({ method: 'GET', url: '/fleet', headers: auth('wrong-token') })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/fleet', headers: { authorization: OPERATOR } })).statusCode).toBe(
      401,
    );
  });

  it('lets a read token read but not operate, and audits the refusal', async () => {
    expect((await app.inject({ method: 'GET', url: '/fleet', headers: auth(READER) })).statusCode).toBe(200);
    const res = await app.inject({
      method: 'POST',
      url: '/shadow/create',
      headers: auth(READER),
      payload: { resourceId: 'db-1' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toBe('FORBIDDEN');
    expect(publisher.requests).toEqual([]);
    expect(publisher.audits).toEqual([
      expect.objectContaining({ principal: 'grafana', role: 'read', route: '/shadow/create', status: 403 }),
    ]);
  });

  it('matches only hashed tokens', () => {
    expect(authenticate(`Bearer ${OPERATOR}`, tokens)).toEqual({ principal: 'alice', role: 'operate' });
    expect(authenticate(`Bearer ${hashToken(OPERATOR)}`, tokens)).toBeUndefined();
    expect(() => parseTokens('alice:admin:abc')).toThrow(/API_TOKENS/);
  });
});

describe('operating calls', () => {
  it('publishes a shadow request with the idempotency key as request id, and audits it', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/shadow/create',
      headers: { ...auth(OPERATOR), 'idempotency-key': 'create-db-1-0001' },
      payload: { resourceId: 'db-1', targetHost: 'h3' },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({
      requestId: 'create-db-1-0001',
      status: 'ACCEPTED',
      type: 'CREATE_SHADOW',
      subject: 'db-1',
    });
    expect(publisher.requests).toEqual([
      {
        requestId: 'create-db-1-0001',
        type: 'CREATE_SHADOW',
        subject: 'db-1',
        targetHost: 'h3',
        dryRun: false,
        principal: 'alice',
        requestedAt: T0 + 3_600_000,
        reason: '',
        scope: 'NONE',
        startsAt: 0,
        endsAt: 0,
        windowId: '',
      },
    ]);
    expect(publisher.audits).toEqual([
      expect.objectContaining({
        principal: 'alice',
        method: 'POST',
        route: '/shadow/create',
        status: 202,
        requestId: 'create-db-1-0001',
      }),
    ]);
  });

  it('requests a region drill and refuses unknown regions', async () => {
    const ok = await app.inject({
      method: 'POST',
      url: '/regions/eu-1/failover',
      headers: auth(OPERATOR),
      payload: { dryRun: true },
    });
    expect(ok.statusCode).toBe(202);
    expect(publisher.requests[0]).toMatchObject({ type: 'REGION_FAILOVER', subject: 'eu-1', dryRun: true });
    const missing = await app.inject({
      method: 'POST',
      url: '/regions/mars-1/failover',
      headers: auth(OPERATOR),
      payload: { dryRun: true },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toBe('NOT_FOUND');
  });

  it('promotes only ready shadows', async () => {
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/shadow/promote',
          headers: auth(OPERATOR),
          payload: { resourceId: 'db-1' },
        })
      ).statusCode,
    ).toBe(202);
    const syncing = await app.inject({
      method: 'POST',
      url: '/shadow/promote',
      headers: auth(OPERATOR),
      payload: { resourceId: 'api-1' },
    });
    expect(syncing.statusCode).toBe(409);
    expect(syncing.json().message).toContain('SYNCING');
  });

  it('rejects malformed requests with clear JSON errors', async () => {
    const cases: { payload: string | object; status: number; error: string; contentType?: string }[] = [
      { payload: {}, status: 400, error: 'VALIDATION_FAILED' },
      { payload: { resourceId: '' }, status: 400, error: 'VALIDATION_FAILED' },
      { payload: { resourceId: 'db-1', extra: 1 }, status: 400, error: 'VALIDATION_FAILED' },
      { payload: { resourceId: 'db 1;drop' }, status: 400, error: 'VALIDATION_FAILED' },
      { payload: '{"resourceId": ', status: 400, error: 'MALFORMED_REQUEST', contentType: 'application/json' },
      { payload: { resourceId: 'x'.repeat(2_000) }, status: 413, error: 'PAYLOAD_TOO_LARGE' },
      {
        payload: 'resourceId=db-1',
        status: 415,
        error: 'UNSUPPORTED_MEDIA_TYPE',
        contentType: 'application/x-www-form-urlencoded',
      },
    ];
    for (const c of cases) {
      const headers: Record<string, string> = { ...auth(OPERATOR) };
      if (c.contentType) headers['content-type'] = c.contentType;
      const res = await app.inject({ method: 'POST', url: '/shadow/create', headers, payload: c.payload });
      expect(res.statusCode, JSON.stringify(c.payload).slice(0, 40)).toBe(c.status);
      expect(res.json().error).toBe(c.error);
      expect(typeof res.json().message).toBe('string');
    }
    const missingField = await app.inject({
      method: 'POST',
      url: '/regions/eu-1/failover',
      headers: auth(OPERATOR),
      payload: {},
    });
    expect(missingField.json().issues).toEqual([expect.objectContaining({ path: 'body.dryRun' })]);
    const badKey = await app.inject({
      method: 'POST',
      url: '/shadow/create',
      headers: { ...auth(OPERATOR), 'idempotency-key': 'x' },
      payload: { resourceId: 'db-1' },
    });
    expect(badKey.statusCode).toBe(400);
    const badQuery = await app.inject({ method: 'GET', url: '/risk?minPFail=7', headers: auth(READER) });
    expect(badQuery.statusCode).toBe(400);
    expect(publisher.requests).toEqual([]);
    expect(publisher.audits.length).toBe(cases.length + 2);
  });
});

describe('reads for the dashboard', () => {
  it('serves fleet, risk, shadows with shadow-hours, regions, blueprint levels, DAG and events', async () => {
    const get = async (url: string) => {
      const res = await app.inject({ method: 'GET', url, headers: auth(READER) });
      expect(res.statusCode, url).toBe(200);
      return res.json();
    };
    const fleet = await get('/fleet');
    expect(fleet.hosts[0]).toMatchObject({ host: 'h1', resources: ['api-1', 'db-1'], risk: { pFail: 0.93 } });
    expect(fleet.hosts[1]).toMatchObject({ host: 'h3', shadowsHosted: ['api-1', 'db-1'] });
    expect((await get('/risk?minPFail=0.5')).hosts.map((h: { host: string }) => h.host)).toEqual(['h1']);
    expect(await get('/hosts/h1/risk')).toMatchObject({ host: 'h1', pFail: 0.93 });
    const status = await get('/shadow/status?state=READY');
    expect(status.shadows.map((s: { resourceId: string }) => s.resourceId)).toEqual(['db-1']);
    expect(status.shadowHours.totalShadowHours).toBe(2);
    expect((await get('/regions')).regions[0]).toMatchObject({
      region: 'eu-1',
      blueprint: { version: 7, levelCount: 2 },
      dag: { nodeCount: 2 },
      activeShadows: 2,
    });
    expect((await get('/regions/eu-1/blueprint')).levels.map((l: { level: number }) => l.level)).toEqual([0, 1]);
    expect((await get('/regions/eu-1/dag')).dag).toEqual({ nodes: ['api', 'db'], edges: [['api', 'db']] });
    expect((await get('/failover/events?subject=h1')).events[0]).toMatchObject({ step: 'DETECTED' });
    expect((await app.inject({ method: 'GET', url: '/hosts/nope/risk', headers: auth(READER) })).statusCode).toBe(404);
  });

  it('serves an OpenAPI document of every route and Prometheus metrics', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json', headers: auth(READER) })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/shadow/create',
        '/shadow/status',
        '/shadow/promote',
        '/regions/{id}/failover',
        '/regions/{id}/dag',
        '/hosts/{id}/risk',
      ]),
    );
    expect(doc.paths['/shadow/create'].post.requestBody.content['application/json'].schema.required).toEqual([
      'resourceId',
    ]);
    expect(doc.paths['/regions/{id}/failover'].post.parameters[0]).toMatchObject({
      name: 'id',
      in: 'path',
      required: true,
    });
    expect(doc.paths['/health'].get.security).toBeUndefined();
    await app.inject({ method: 'GET', url: '/fleet', headers: auth(READER) });
    const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: auth(READER) });
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('foreshadow_api_requests_total{method="GET",route="/fleet",status="200"} 1');
    expect(metrics.body).toContain('foreshadow_api_read_model_shadows{state="READY"} 1');
  });

  it('reports hosts that send metrics but are not in the inventory (hosts table)', async () => {
    const url = '/inventory/unknown-hosts';
    expect((await app.inject({ method: 'GET', url, headers: auth(READER) })).json()).toEqual({ hosts: [] });
    model.apply('risk', 'stray-9', { ...risk('stray-9', 0.4, T0 + 5), zone: 'c' });
    expect((await app.inject({ method: 'GET', url, headers: auth(READER) })).json()).toEqual({
      hosts: [{ host: 'stray-9', region: risk('stray-9', 0.4, T0).region, zone: 'c', lastSeen: T0 + 5, pFail: 0.4 }],
    });
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(401);
    const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: auth(READER) });
    expect(metrics.body).toContain('foreshadow_api_unknown_hosts 1');
    // Declared later (inventory apply): no longer unknown.
    model.apply('hosts', 'stray-9', host('stray-9', 'c', 'r1'));
    expect((await app.inject({ method: 'GET', url, headers: auth(READER) })).json()).toEqual({ hosts: [] });
  });
});
